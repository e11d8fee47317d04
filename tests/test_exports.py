"""导出 from the unit centre: real-person check, AES zip with the login's mobile, audit (Q-2, Q-7).

Also F-2: asking for 医疗 (310) or 生育 (510) insurance answers that they are on the
medical-insurance platform.
"""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
import pyzipper
from openpyxl import load_workbook
from sqlalchemy import select, update

from mocks.transport import in_process_mocks
from simulator.db.models import Account, AuditEntry
from simulator.exports import EXPORT_ACTION, encrypted_zip
from simulator.worlds import DEFAULT_PASSWORD, load_world

SUQIAN_USCC = "9132130262059337XB"
SUQIAN_LEGAL_REP = "321302197105180076"
SUQIAN_MOBILE = "18951234567"  # the legal representative's registered mobile (the world's contact)


@pytest.fixture
def suqian(platform, sandbox_id):  # type: ignore[no-untyped-def]
    load_world(platform, sandbox_id, "suqian-80")
    return sandbox_id


@pytest.fixture
def headers(client, suqian):  # type: ignore[no-untyped-def]
    reply = client.post(
        f"/api/v1/sandboxes/{suqian}/login",
        json={"uscc": SUQIAN_USCC, "id_number": SUQIAN_LEGAL_REP, "password": DEFAULT_PASSWORD},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def export(app, client, sandbox_id, headers, kind="monthly-details", **filters):  # type: ignore[no-untyped-def]
    with in_process_mocks(app):
        return client.post(
            f"/api/v1/sandboxes/{sandbox_id}/unit/exports/{kind}", json=filters, headers=headers
        )


def audit_entries(platform, sandbox_id) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.sandbox_id == sandbox_id, AuditEntry.action == EXPORT_ACTION
            )
        ).all()
        session.expunge_all()
        return list(entries)


@pytest.mark.db
def test_monthly_details_open_with_the_mobile_number_only(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2 Q-7"""
    reply = export(app, client, suqian, headers, fee_month="2020-03")
    assert reply.status_code == 200, reply.get_json()
    assert reply.mimetype == "application/zip"
    disposition = unquote(reply.headers["Content-Disposition"])
    assert "人员月缴费明细_20210816090000.zip" in disposition
    archive = pyzipper.AESZipFile(io.BytesIO(reply.data))
    (member,) = archive.namelist()
    assert member == "人员月缴费明细_20210816090000.xlsx"
    assert archive.getinfo(member).flag_bits & 0x1  # encrypted
    with pytest.raises(RuntimeError, match="password"):
        archive.read(member)
    archive.setpassword(b"13900000000")
    with pytest.raises(RuntimeError, match=r"[Bb]ad password"):
        archive.read(member)
    archive.setpassword(SUQIAN_MOBILE.encode())
    sheet = load_workbook(io.BytesIO(archive.read(member)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("费款所属期", "个人编号", "姓名", "证件号码", "险种")
    # 2020-03: the 80 people and the former employee (stopped 2020-06), 3 types each
    assert len(rows) - 1 == 81 * 3 == int(reply.headers["X-Export-Rows"])
    assert {row[0] for row in rows[1:]} == {"2020-03"}


def test_the_standard_zip_module_cannot_read_it_either(app, client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2: AES (WinZip) encryption, not the weak ZipCrypto."""
    import zipfile

    reply = export(app, client, suqian, headers, kind="insured")
    with zipfile.ZipFile(io.BytesIO(reply.data)) as archive:
        member = archive.namelist()[0]
        assert archive.getinfo(member).compress_type == 99  # AE-x (AES) marker
        with pytest.raises(NotImplementedError):
            archive.read(member, pwd=SUQIAN_MOBILE.encode())


def test_insured_people_export_with_filters(app, client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2 Q-9"""
    reply = export(app, client, suqian, headers, kind="insured", insurance_code="110", status="1")
    assert reply.status_code == 200, reply.get_json()
    archive = pyzipper.AESZipFile(io.BytesIO(reply.data))
    archive.setpassword(SUQIAN_MOBILE.encode())
    member = archive.namelist()[0]
    assert member.startswith("参保信息-人员缴费基数_")
    rows = list(
        load_workbook(io.BytesIO(archive.read(member)), read_only=True).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][0:3] == ("个人编号", "姓名", "证件号码")
    assert len(rows) - 1 == 80
    assert {row[3] for row in rows[1:]} == {"110"}
    assert {row[10] for row in rows[1:]} == {"参保缴费"}


@pytest.mark.db
def test_the_export_is_audited(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2: who, what, when (sandbox clock), how many rows, which filters."""
    export(app, client, suqian, headers, fee_month="2020-03")
    (entry,) = audit_entries(platform, suqian)
    assert entry.actor == "臧建平(legal_rep)"
    assert entry.target == "人员月缴费明细"
    assert entry.at.isoformat(sep=" ") == "2021-08-16 09:00:00"
    assert entry.details["rows"] == 243
    assert entry.details["filters"] == {"fee_month": "2020-03"}
    assert entry.details["real_person_check"] == "passed"
    assert SUQIAN_MOBILE not in str(entry.details)  # the password is not written down
    history = client.get(f"/api/v1/sandboxes/{suqian}/unit/exports", headers=headers)
    assert history.get_json()["rows"][0]["导出内容"] == "人员月缴费明细"
    assert history.get_json()["rows"][0]["条数"] == 243


def test_a_failed_real_person_check_exports_nothing(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2: the mock's face check fails for a name containing 不通过."""
    with platform.db.transaction() as session:
        session.execute(update(Account).where(Account.sandbox_id == suqian).values(name="臧不通过"))
    reply = export(app, client, suqian, headers)
    assert reply.status_code == 403
    assert reply.get_json()["code"] == "E_EXPORT_FACE_FAILED"
    assert reply.get_json()["message"] == "实人认证未通过，不能导出个人信息"
    assert reply.get_json()["behaviour_id"] == "Q-2"
    assert audit_entries(platform, suqian) == []


def test_an_unavailable_verification_service_exports_nothing(  # type: ignore[no-untyped-def]
    app, client, platform, suqian, headers
):
    """Q-2: the verification service's own error; nothing audited."""
    client.put(f"/api/v1/sandboxes/{suqian}/mocks/verification/fault", json={"mode": "outage"})
    reply = export(app, client, suqian, headers)
    assert reply.status_code == 503
    assert reply.get_json()["code"] == "E_VERIFICATION_SERVICE"
    assert audit_entries(platform, suqian) == []


def test_no_registered_mobile_no_export(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2: the password is the mobile number: without one there is no export."""
    with platform.db.transaction() as session:
        session.execute(update(Account).where(Account.sandbox_id == suqian).values(mobile=""))
    reply = export(app, client, suqian, headers)
    assert reply.status_code == 409
    assert reply.get_json()["code"] == "E_EXPORT_NO_MOBILE"


def test_an_export_needs_a_login(app, client, suqian):  # type: ignore[no-untyped-def]
    """PREP-1 Q-2"""
    reply = export(app, client, suqian, {})
    assert reply.status_code == 401


def test_an_unknown_list_cannot_be_exported(app, client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2"""
    assert export(app, client, suqian, headers, kind="everything").status_code == 400


@pytest.mark.parametrize("code", ["310", "510"])
def test_medical_and_maternity_are_on_the_medical_platform(app, client, suqian, headers, code):  # type: ignore[no-untyped-def]
    """F-2: in an export and in the 参保信息 list."""
    reply = export(app, client, suqian, headers, kind="insured", insurance_code=code)
    assert reply.status_code == 422
    assert reply.get_json()["code"] == "E_MEDICAL_PLATFORM"
    assert reply.get_json()["message"] == "医疗、生育保险在医保信息平台办理"
    assert reply.get_json()["behaviour_id"] == "F-2"
    listed = client.get(
        f"/api/v1/sandboxes/{suqian}/unit/insured", query_string={"insurance_code": code},
        headers=headers,
    )  # fmt: skip
    assert listed.status_code == 422
    assert listed.get_json()["code"] == "E_MEDICAL_PLATFORM"


def exported_rows(reply) -> list[tuple]:  # type: ignore[no-untyped-def]
    archive = pyzipper.AESZipFile(io.BytesIO(reply.data))
    archive.setpassword(SUQIAN_MOBILE.encode())
    sheet = load_workbook(io.BytesIO(archive.read(archive.namelist()[0])), read_only=True).active
    return list(sheet.iter_rows(values_only=True))[1:]


@pytest.mark.db
def test_monthly_details_export_a_range_given_either_way(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-7: months are YYYYMM or YYYY-MM (docs/records.md); the export and the list on
    screen filter alike."""
    filters = {"start_month": "202105", "end_month": "202106", "insurance_code": "110"}
    reply = export(app, client, suqian, headers, **filters)
    assert reply.status_code == 200, reply.get_json()
    rows = exported_rows(reply)
    assert {row[0] for row in rows} == {"2021-05", "2021-06"}
    assert {row[4] for row in rows} == {"110"}
    assert len(rows) == 80 * 2
    listed = client.get(
        f"/api/v1/sandboxes/{suqian}/unit/monthly-details",
        query_string={**filters, "per_page": 500},
        headers=headers,
    ).get_json()
    assert listed["total"] == len(rows)
    assert sorted((r["费款所属期"], r["证件号码"]) for r in listed["rows"]) == sorted(
        (row[0], row[3]) for row in rows
    )
    (entry,) = audit_entries(platform, suqian)  # the filters as applied
    assert entry.details["filters"] == {
        "start_month": "2021-05", "end_month": "2021-06", "insurance_code": "110"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "filters", "code", "field"),
    [
        ("monthly-details", {"fee_month": "2021-13"}, "E_INVALID_INPUT", "fee_month"),
        ("monthly-details", {"start_month": "202100"}, "E_INVALID_INPUT", "start_month"),
        (
            "monthly-details",
            {"start_month": "2021-08", "end_month": "2021-05"},
            "E_RECORD_RANGE",
            "start_month",
        ),
        ("monthly-details", {"insurance_code": "999"}, "E_INVALID_INPUT", "insurance_code"),
        ("insured", {"insurance_code": "999"}, "E_INVALID_INPUT", "insurance_code"),
    ],
)
def test_filters_that_match_nothing_by_mistake_are_refused(  # type: ignore[no-untyped-def]
    app, client, platform, suqian, headers, kind, filters, code, field
):
    """Q-7: refused as 打印证明 refuses the same mistakes — not an empty zip; nothing audited."""
    reply = export(app, client, suqian, headers, kind=kind, **filters)
    assert reply.status_code == 400, reply.data[:200]
    body = reply.get_json()
    assert body["code"] == code and body["errors"][0]["field"] == field
    if code == "E_INVALID_INPUT":
        assert field in body["message"]
    assert audit_entries(platform, suqian) == []
    same_on_the_certificate = client.post(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records",
        json={"start_month": "2021-08", "end_month": "2021-05"},
        headers=headers,
    ).get_json()
    assert same_on_the_certificate["code"] == "E_RECORD_RANGE"


@pytest.mark.db
def test_the_export_log_names_the_level_in_chinese(app, client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-2: 导出人 is 姓名(法定代表人); the stored entry keeps what it was written with."""
    export(app, client, suqian, headers, fee_month="2020-03")
    history = client.get(f"/api/v1/sandboxes/{suqian}/unit/exports", headers=headers)
    assert history.get_json()["rows"][0]["导出人"] == "臧建平(法定代表人)"


def test_encrypted_zip_round_trip() -> None:
    """Q-2"""
    content = encrypted_zip("a.xlsx", b"x" * 1000, "13812345678")
    archive = pyzipper.AESZipFile(io.BytesIO(content))
    archive.setpassword(b"13812345678")
    assert archive.read("a.xlsx") == b"x" * 1000
