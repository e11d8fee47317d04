"""单位中心 through the API: login (PREP-1), a business, then the queries (Q-1, Q-6 … Q-9)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from builders import PASSWORD, add_person, add_unit, bearer_headers
from sqlalchemy import select

from plugins.items.employment_enrolment import EmploymentEnrolment
from simulator.db.models import Account, Unit
from simulator.workbooks import workbook_from_rows

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run


def login(client, platform, sandbox_id, unit_id):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        account = session.scalars(select(Account).where(Account.unit_id == unit_id)).one()
        uscc, id_number = unit.uscc, account.id_number
    reply = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": uscc, "id_number": id_number, "password": PASSWORD},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def test_no_business_without_login(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    """PREP-1"""
    reply = client.post(f"/api/v1/sandboxes/{sandbox_id}/businesses/employment_enrolment", json={})
    assert reply.status_code == 401
    assert reply.get_json()["code"] == "E_NOT_LOGGED_IN"
    assert reply.get_json()["behaviour_id"] == "PREP-1"
    bad = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": "91321302MA1234567X", "id_number": "321302199001011234", "password": "x"},
    )
    assert bad.status_code == 401


def test_business_then_unit_centre(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    unit_id, _ = add_unit(platform, sandbox_id)
    headers = login(client, platform, sandbox_id, unit_id)
    id_number = add_person(platform, sandbox_id, name="王五")
    base = f"/api/v1/sandboxes/{sandbox_id}"
    done = client.post(
        f"{base}/businesses/employment_enrolment",
        json={
            "id_number": id_number,
            "contract_reason": "1",
            "contract_start": "2021-07-01",
            "job_type": "07",
            "base": "6000",
        },
        headers=headers,
    )
    assert done.status_code == 201, done.get_json()
    info = client.get(f"{base}/unit", headers=headers).get_json()
    assert info["现参保地"] == "宿迁市市本级"
    insured = client.get(f"{base}/unit/insured?id_number={id_number}", headers=headers).get_json()
    assert insured["total"] == 3
    assert {row["参保状态"] for row in insured["rows"]} == {"参保缴费"}
    businesses = client.get(f"{base}/unit/businesses", headers=headers).get_json()
    assert businesses["rows"][0]["业务编号"] == done.get_json()["business_no"]
    assert businesses["rows"][0]["办件状态"] == "办结"
    details = client.get(f"{base}/unit/monthly-details?per_page=2", headers=headers).get_json()
    assert details["total"] == 6 and len(details["rows"]) == 2  # back pay 2021-07, 2021-08 × 3
    client.put(f"{base}/clock", json={"at": "2021-09-07"})  # settlement of 2021-09
    notices = client.get(f"{base}/unit/collection-notices", headers=headers).get_json()
    assert notices["rows"][0]["费款所属期"] == "2021-09"
    assert notices["rows"][0]["缴费人数"] == 1


def test_a_token_of_another_sandbox_is_refused(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    unit_id, _ = add_unit(platform, sandbox_id)
    headers = login(client, platform, sandbox_id, unit_id)
    other = sandbox_id + "-o"
    platform.create_sandbox(other, clock="2021-08-16")
    reply = client.get(f"/api/v1/sandboxes/{other}/unit", headers=headers)
    assert reply.status_code == 401


def test_a_business_in_detail_with_its_trace(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    """Q-8 办件详情: what was declared, the result and the rules and parameters that decided
    it — for a batch row too, whose trace shares its job's parameter entries."""
    unit_id, _ = add_unit(platform, sandbox_id)
    headers = login(client, platform, sandbox_id, unit_id)
    single, batched = (add_person(platform, sandbox_id, name=n) for n in ("王五", "赵六"))
    base = f"/api/v1/sandboxes/{sandbox_id}"
    form = {"contract_reason": "1", "contract_start": "2021-05-01", "job_type": "07"}
    done = client.post(
        f"{base}/businesses/employment_enrolment",
        json={"id_number": single, **form, "base": "6000"},
        headers=headers,
    ).get_json()
    columns = EmploymentEnrolment.batch_columns
    row = {"id_number": batched, **form, "base": "7000"}
    content = workbook_from_rows(columns, [[row.get(c.key, "") for c in columns]])
    job = client.post(
        f"{base}/batches/employment_enrolment",
        data={"file": (io.BytesIO(content), "增员.xlsx")},
        content_type="multipart/form-data",
        headers=headers,
    ).get_json()
    (batch_row,) = job["rows"]
    for number, declared in ((done["business_no"], "6000"), (batch_row["business_no"], "7000")):
        detail = client.get(f"{base}/unit/businesses/{number}", headers=headers)
        assert detail.status_code == 200, detail.get_json()
        body = detail.get_json()
        assert body["业务编号"] == number and body["办件状态"] == "办结"
        assert body["申报内容"]["base"] == declared
        assert body["result"]["data"]["补缴明细"]  # back pay 2021-05 … 2021-08
        trace = body["trace"]
        assert not any("$entry" in item for item in trace)
        assert any(item.get("behaviour_id") == "PER-4" for item in trace)
        assert any(str(item.get("path", "")).startswith("rates.") for item in trace)
    other_id, _ = add_unit(platform, sandbox_id, name="别家公司")
    foreign = login(client, platform, sandbox_id, other_id)
    refused = client.get(f"{base}/unit/businesses/{done['business_no']}", headers=foreign)
    assert refused.status_code == 404


# --- on a loaded world: notices, filters, labels (Q-6, Q-7, Q-8, F-2) --------------------------------

DEMO_USCC = "91320106438957376C"
DEMO_LEGAL_REP = "320106197803140438"  # 周明远


@pytest.fixture
def demo_headers(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    from simulator.worlds import DEFAULT_PASSWORD, load_world

    load_world(platform, sandbox_id, "demo")
    return bearer_headers(client, sandbox_id, DEMO_USCC, DEMO_LEGAL_REP, DEFAULT_PASSWORD)


def test_a_loaded_world_shows_the_notices_of_its_settled_months(client, sandbox_id, demo_headers):  # type: ignore[no-untyped-def]
    """Q-6: the demo world's last settled month is 2021-08; its history starts in 2021-02."""
    base = f"/api/v1/sandboxes/{sandbox_id}/unit"
    notices = client.get(f"{base}/collection-notices", headers=demo_headers).get_json()
    assert notices["total"] == 7
    assert [row["费款所属期"] for row in notices["rows"]] == [
        f"2021-{month:02d}" for month in range(8, 1, -1)
    ]
    august = notices["rows"][0]
    assert august["征缴通知单号"] == "ZJ202108320100000001" and august["缴费人数"] == 5
    details = client.get(
        f"{base}/monthly-details", query_string={"fee_month": "2021-08", "per_page": 500},
        headers=demo_headers,
    ).get_json()  # fmt: skip
    paid = sum(Decimal(r["单位缴费"]) + Decimal(r["个人缴费"]) for r in details["rows"])
    assert Decimal(august["扣款总金额"]) == paid
    for month in ("202105", "2021-05"):  # YYYYMM or YYYY-MM
        one = client.get(
            f"{base}/collection-notices", query_string={"fee_month": month}, headers=demo_headers
        ).get_json()
        assert [row["费款所属期"] for row in one["rows"]] == ["2021-05"]


def detail_rows(client, sandbox_id, headers, **filters):  # type: ignore[no-untyped-def]
    reply = client.get(
        f"/api/v1/sandboxes/{sandbox_id}/unit/monthly-details",
        query_string={"per_page": 500, **filters},
        headers=headers,
    )
    return reply


def test_monthly_details_filter_by_range_and_insurance(client, sandbox_id, demo_headers):  # type: ignore[no-untyped-def]
    """Q-7: the list filters as its export does — start_month … end_month, insurance_code."""
    every = detail_rows(client, sandbox_id, demo_headers).get_json()["rows"]
    ranged = detail_rows(
        client, sandbox_id, demo_headers, start_month="202105", end_month="2021-06"
    ).get_json()
    assert ranged["total"] == len([r for r in every if "2021-05" <= r["费款所属期"] <= "2021-06"])
    assert {r["费款所属期"] for r in ranged["rows"]} == {"2021-05", "2021-06"}
    since = detail_rows(client, sandbox_id, demo_headers, start_month="2021-07").get_json()
    assert {r["费款所属期"] for r in since["rows"]} == {"2021-07", "2021-08"}
    pension = detail_rows(client, sandbox_id, demo_headers, insurance_code="110").get_json()
    assert pension["total"] == len(every) // 3
    assert {r["险种"] for r in pension["rows"]} == {"110"}


@pytest.mark.parametrize(
    ("filters", "status", "code", "field"),
    [
        ({"fee_month": "2021-13"}, 400, "E_INVALID_INPUT", "fee_month"),
        ({"start_month": "2021-08", "end_month": "2021-05"}, 400, "E_RECORD_RANGE", "start_month"),
        ({"insurance_code": "999"}, 400, "E_INVALID_INPUT", "insurance_code"),
        ({"insurance_code": "310"}, 422, "E_MEDICAL_PLATFORM", "insurance_code"),
    ],
)
def test_monthly_details_refuse_what_the_export_refuses(  # type: ignore[no-untyped-def]
    client, sandbox_id, demo_headers, filters, status, code, field
):
    """Q-7, F-2: a month that is not one, a reversed range, an unknown 险种."""
    reply = detail_rows(client, sandbox_id, demo_headers, **filters)
    assert reply.status_code == status, reply.get_json()
    assert reply.get_json()["code"] == code
    assert reply.get_json()["errors"][0]["field"] == field


def test_the_openapi_document_lists_the_monthly_detail_filters(client):  # type: ignore[no-untyped-def]
    """Q-7: the filters are documented where a tester looks."""
    document = client.get("/api/v1/openapi.json").get_json()
    route = document["paths"]["/api/v1/sandboxes/{sandbox_id}/unit/monthly-details"]["get"]
    names = {parameter["name"] for parameter in route["parameters"]}
    assert {"fee_month", "start_month", "end_month", "id_number", "insurance_code"} <= names


def test_businesses_name_the_level_in_chinese(client, platform, sandbox_id, demo_headers):  # type: ignore[no-untyped-def]
    """Q-8: 经办人 is 姓名(法定代表人), never the level's code — old rows included."""
    from sqlalchemy import update

    from simulator.db.models import Business

    base = f"/api/v1/sandboxes/{sandbox_id}"
    done = client.post(
        f"{base}/businesses/employment_enrolment",
        json={"id_number": "320113199804061558", "contract_reason": "1",
              "contract_start": "2021-08-01", "job_type": "07", "base": "6000"},
        headers=demo_headers,
    )  # fmt: skip
    assert done.status_code == 201, done.get_json()
    rows = client.get(f"{base}/unit/businesses", headers=demo_headers).get_json()["rows"]
    assert rows[0]["经办人"] == "周明远(法定代表人)"
    detail = client.get(f"{base}/unit/businesses/{rows[0]['业务编号']}", headers=demo_headers)
    assert detail.get_json()["经办人"] == "周明远(法定代表人)"
    with platform.db.transaction() as session:  # a row as an older release stored it
        session.execute(
            update(Business).where(Business.sandbox_id == sandbox_id).values(actor="周明远(admin)")
        )
    rows = client.get(f"{base}/unit/businesses", headers=demo_headers).get_json()["rows"]
    assert rows[0]["经办人"] == "周明远(单位管理员)"
