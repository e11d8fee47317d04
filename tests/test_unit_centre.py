"""单位中心 through the API: login (PREP-1), a business, then the queries (Q-1, Q-6 … Q-9)."""

from __future__ import annotations

import io

import pytest
from builders import PASSWORD, add_person, add_unit
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
