"""单位实名注册 (PREP-1) and the personal side (P-1, P-2): ``simulator/hall.py`` and its API.

Every refusal comes from its real cause in the mocked agencies (market registration,
public security, face verification) and stores nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from builders import add_person, add_relation, add_unit
from flask import Flask
from flask.testing import FlaskClient
from registration_world import (
    LEGAL_REP_ID,
    LEGAL_REP_NAME,
    MOBILE,
    PASSWORD,
    add_identity,
    add_market_unit,
    cheap_password_hashing,  # noqa: F401  (autouse fixture)
    module_app,  # noqa: F401  (the fixture ``app``: one application per module)
    sign_up,
    signed_up_unit,
    snapshot,
)
from sqlalchemy import select

from mocks import faults, journal
from mocks.market import magic_uscc
from mocks.transport import in_process_mocks
from simulator.auth import verify_password
from simulator.db.models import Account, AuditEntry, InsuredRelation, Person, Unit
from simulator.errors import Refused
from simulator.hall import maintain_hukou_nature, stop_flexible_employment
from simulator.platform import Platform

# -- 单位实名注册 ---------------------------------------------------------------------------


def test_sign_up_creates_the_unit_from_market_registration_and_its_legal_rep(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id, name="南京示例人力资源有限公司", is_hr_agency=True)
    add_identity(platform, sandbox_id, LEGAL_REP_ID, LEGAL_REP_NAME)

    answer = sign_up(platform, app, sandbox_id, uscc.lower())

    assert answer["message"] == "实名注册成功"
    with platform.db.transaction() as session:
        unit = session.scalars(select(Unit).where(Unit.sandbox_id == sandbox_id)).one()
        assert (unit.uscc, unit.name, unit.status) == (uscc, "南京示例人力资源有限公司", "未参保")
        assert (unit.region_code, unit.city_code, unit.nature) == ("320105", "320100", "企业")
        assert unit.insurance_codes == "" and unit.unit_no is None and unit.registered_on is None
        assert unit.is_hr_agency and unit.legal_rep_id_number == LEGAL_REP_ID
        account = session.scalars(select(Account).where(Account.unit_id == unit.id)).one()
        assert (account.role, account.name, account.mobile) == ("legal_rep", LEGAL_REP_NAME, MOBILE)
        assert account.verified_at is not None and account.verified_at.date() == date(2021, 8, 16)
        assert verify_password(account.password_hash, PASSWORD)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.sandbox_id == sandbox_id)).one()
        assert audit.action == "unit_signup"


def _refusal(platform: Platform, app: Flask, sandbox_id: str, uscc: str, **request: str) -> Refused:
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        sign_up(platform, app, sandbox_id, uscc, **request)
    assert snapshot(platform, sandbox_id) == before  # nothing stored
    return refused.value


@pytest.mark.parametrize(
    ("request_fields", "field", "message"),
    [
        ({"uscc": "91320105881203376X"}, "uscc", "统一社会信用代码校验位错误"),
        (
            {"legal_rep_id_number": "320105197503080247"},
            "legal_rep_id_number",
            "证件号码校验位错误",
        ),
        ({"legal_rep_name": "  "}, "legal_rep_name", "法定代表人姓名不能为空"),
        ({"mobile": "1390000111"}, "mobile", "手机号码格式不正确，应为11位手机号码"),
        ({"password": "abcdefgh"}, "password", "密码须为8至20位，且同时包含字母和数字"),
        ({"password": "a1"}, "password", "密码须为8至20位，且同时包含字母和数字"),
    ],
)
def test_sign_up_refuses_a_malformed_request_before_asking_anyone(
    platform: Platform,
    app: Flask,
    sandbox_id: str,
    request_fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    request = {"uscc": uscc, **request_fields}
    problem = _refusal(platform, app, sandbox_id, **request).problem
    assert (problem.field, problem.message, problem.http_status) == (field, message, 400)
    with platform.db.transaction() as session:
        assert journal.entries(session, sandbox_id) == []


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        ("注销", "E_MARKET_LOOKUP", "需至当地社保大厅处理"),  # I1-4, at the first step
        ("吊销", "E_MARKET_LOOKUP", "需至当地社保大厅处理"),
    ],
)
def test_sign_up_refuses_a_unit_that_no_longer_exists(
    platform: Platform, app: Flask, sandbox_id: str, status: str, code: str, message: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id, status=status)
    add_identity(platform, sandbox_id, LEGAL_REP_ID, LEGAL_REP_NAME)
    problem = _refusal(platform, app, sandbox_id, uscc).problem
    assert (problem.code, problem.message, problem.behaviour_id) == (code, message, "I1-4")
    assert status in problem.remedy  # the remedy says which case it was


def test_sign_up_refuses_magic_deregistered_and_unknown_codes(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    problem = _refusal(platform, app, sandbox_id, magic_uscc("注销")).problem
    assert (problem.code, problem.behaviour_id) == ("E_MARKET_LOOKUP", "I1-4")
    problem = _refusal(platform, app, sandbox_id, "91320105881203376L").problem
    assert (problem.code, problem.message) == ("E_MARKET_LOOKUP", "需至当地社保大厅处理")
    assert "未查询到" in problem.remedy


def test_sign_up_refuses_another_legal_representative(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    add_identity(platform, sandbox_id, "320102198006010672", "赵强")
    problem = _refusal(
        platform,
        app,
        sandbox_id,
        uscc,
        legal_rep_name="赵强",
        legal_rep_id_number="320102198006010672",
    ).problem
    assert problem.code == "E_SIGNUP_LEGAL_REP_MISMATCH"


def test_sign_up_refuses_a_legal_rep_without_a_resident_id_card(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id, legal_rep_id_type="护照")
    problem = _refusal(platform, app, sandbox_id, uscc).problem
    assert problem.message == "法定代表人证件类型为护照，不能在网上办理实名注册"


@pytest.mark.parametrize("registered_name", [None, "王方"])
def test_sign_up_refuses_what_public_security_does_not_confirm(
    platform: Platform, app: Flask, sandbox_id: str, registered_name: str | None
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    if registered_name:
        add_identity(platform, sandbox_id, LEGAL_REP_ID, registered_name)
    problem = _refusal(platform, app, sandbox_id, uscc).problem
    assert problem.code == "E_SIGNUP_IDENTITY_MISMATCH"
    assert problem.details["result"] == ("mismatch" if registered_name else "not_found")


def test_sign_up_refuses_a_failed_face_verification(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id, legal_rep_name="王不通过")
    add_identity(platform, sandbox_id, LEGAL_REP_ID, "王不通过")
    problem = _refusal(platform, app, sandbox_id, uscc, legal_rep_name="王不通过").problem
    assert (problem.code, problem.message) == ("E_SIGNUP_FACE_FAILED", "人脸识别未通过")


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("market", "E_MARKET_LOOKUP", 422),  # I1-4
        ("identity", "E_IDENTITY_SERVICE", 503),
        ("verification", "E_VERIFICATION_SERVICE", 503),
    ],
)
@pytest.mark.parametrize("mode", ["outage", "refused", "slow", "malformed"])
def test_sign_up_when_a_service_fails_stores_nothing(
    platform: Platform,
    app: Flask,
    sandbox_id: str,
    service: str,
    code: str,
    status: int,
    mode: str,
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    add_identity(platform, sandbox_id, LEGAL_REP_ID, LEGAL_REP_NAME)
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, service, mode)
    problem = _refusal(platform, app, sandbox_id, uscc).problem
    assert (problem.code, problem.http_status, problem.details["failure"]) == (
        code,
        status,
        {"slow": "timeout"}.get(mode, mode),
    )
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, service, "normal")
    assert sign_up(platform, app, sandbox_id, uscc)["unit"]["status"] == "未参保"


def test_a_unit_signs_up_once(platform: Platform, app: Flask, sandbox_id: str) -> None:
    _unit_id, _actor, uscc = signed_up_unit(platform, app, sandbox_id)
    with platform.db.transaction() as session:
        calls = len(journal.entries(session, sandbox_id))
    problem = _refusal(platform, app, sandbox_id, uscc).problem
    assert (problem.code, problem.http_status) == ("E_UNIT_SIGNED_UP", 409)
    with platform.db.transaction() as session:
        assert len(journal.entries(session, sandbox_id)) == calls  # nobody was asked


def test_a_unit_known_to_the_platform_already_counts_as_signed_up(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    unit_id, _actor = add_unit(platform, sandbox_id)
    with platform.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        uscc = unit.uscc
    assert _refusal(platform, app, sandbox_id, uscc).problem.code == "E_UNIT_SIGNED_UP"


# -- the API ----------------------------------------------------------------------------------


@pytest.fixture
def hall_client(app: Flask) -> FlaskClient:
    """A client of the app with the hall's routes (see ``registration_world.app``)."""
    return app.test_client()


def test_sign_up_over_http_then_log_in(
    platform: Platform, app: Flask, hall_client: FlaskClient, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    add_identity(platform, sandbox_id, LEGAL_REP_ID, LEGAL_REP_NAME)
    body = {
        "uscc": uscc,
        "legal_rep_name": LEGAL_REP_NAME,
        "legal_rep_id_number": LEGAL_REP_ID,
        "mobile": MOBILE,
        "password": PASSWORD,
    }
    url = f"/api/v1/sandboxes/{sandbox_id}/units/signup"
    with in_process_mocks(app):
        created = hall_client.post(url, json=body)
        again = hall_client.post(url, json=body)
    assert created.status_code == 201, created.json
    assert created.json["unit"]["status"] == "未参保"
    assert (again.status_code, again.json["code"]) == (409, "E_UNIT_SIGNED_UP")
    login = hall_client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": uscc, "id_number": LEGAL_REP_ID, "password": PASSWORD},
    )
    assert login.status_code == 200, login.json
    assert login.json["account"]["role"] == "legal_rep"


def test_sign_up_over_http_speaks_the_common_error_format(
    hall_client: FlaskClient, sandbox_id: str
) -> None:
    answer = hall_client.post(
        "/api/v1/sandboxes/nowhere/units/signup",
        json={
            "uscc": "91320105881203376L",
            "legal_rep_name": LEGAL_REP_NAME,
            "legal_rep_id_number": LEGAL_REP_ID,
            "mobile": MOBILE,
            "password": PASSWORD,
        },
    )
    assert (answer.status_code, answer.json["code"]) == (404, "E_UNKNOWN_SANDBOX")
    answer = hall_client.post(f"/api/v1/sandboxes/{sandbox_id}/units/signup", json={"uscc": "x"})
    assert (answer.status_code, answer.json["code"]) == (400, "E_INVALID_INPUT")
    assert "openapi" in hall_client.get("/api/v1/openapi.json").json


# -- P-1 灵活就业人员停保登记 ----------------------------------------------------------------------


def _flexible_person(platform: Platform, sandbox_id: str) -> str:
    id_number = add_person(platform, sandbox_id, name="周灵活", birth=date(1985, 4, 4))
    for code in ("110", "210"):
        add_relation(platform, sandbox_id, id_number, unit_id=None, insurance=code,
                     kind="flexible", start="2019-01")  # fmt: skip
    return id_number


def _relations(platform: Platform, sandbox_id: str) -> list[tuple[str, str, str | None]]:
    with platform.db.transaction() as session:
        return [
            (r.insurance_code, r.status, r.stop_month)
            for r in session.scalars(
                select(InsuredRelation)
                .where(InsuredRelation.sandbox_id == sandbox_id)
                .order_by(InsuredRelation.id)
            )
        ]


def test_flexible_stop_ends_the_relations_before_the_current_fee_month(
    platform: Platform, sandbox_id: str
) -> None:
    id_number = _flexible_person(platform, sandbox_id)
    answer = stop_flexible_employment(platform, sandbox_id, id_number=id_number, name="周灵活")
    # 2021-08-16: the fee month is 2021-09, so 2021-08 is the last insured month.
    assert (answer["fee_month"], answer["stop_month"]) == ("2021-09", "2021-08")
    assert _relations(platform, sandbox_id) == [("110", "3", "2021-08"), ("210", "3", "2021-08")]
    with pytest.raises(Refused) as again:
        stop_flexible_employment(platform, sandbox_id, id_number=id_number, name="周灵活")
    assert (again.value.problem.code, again.value.problem.behaviour_id) == (
        "E_NO_FLEXIBLE_INSURANCE",
        "P-1",
    )


def test_flexible_stop_on_a_paused_day_keeps_the_settled_month(
    platform: Platform, sandbox_id: str
) -> None:
    id_number = _flexible_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-09-08")  # settles 2021-09
    answer = stop_flexible_employment(platform, sandbox_id, id_number=id_number, name="周灵活")
    assert answer["stop_month"] == "2021-09"


@pytest.mark.parametrize(
    ("id_number", "name", "code"),
    [
        ("320102199001011179", "周灵活", "E_PERSON_UNKNOWN"),
        (None, "周零活", "E_PERSON_NAME_MISMATCH"),
        ("320102199001011178", "周灵活", "E_INVALID_INPUT"),
    ],
)
def test_flexible_stop_refuses_someone_else(
    platform: Platform, sandbox_id: str, id_number: str | None, name: str, code: str
) -> None:
    known = _flexible_person(platform, sandbox_id)
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        stop_flexible_employment(platform, sandbox_id, id_number=id_number or known, name=name)
    assert refused.value.problem.code == code
    assert snapshot(platform, sandbox_id) == before


def test_flexible_stop_clears_i3_9_for_the_unit(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor = add_unit(platform, sandbox_id)
    id_number = _flexible_person(platform, sandbox_id)
    payload = {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": "2021-08-01",
        "job_type": "07",
    }
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)
    assert refused.value.problem.behaviour_id == "I3-9"
    stop_flexible_employment(platform, sandbox_id, id_number=id_number, name="周灵活")
    outcome = platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)
    assert outcome.data["start_month"] == "2021-08"


def test_flexible_stop_through_the_api_and_the_bdd_driver(
    platform: Platform, hall_client: FlaskClient, sandbox_id: str
) -> None:
    from bdd.drivers import InProcessDriver

    id_number = _flexible_person(platform, sandbox_id)
    url = f"/api/v1/sandboxes/{sandbox_id}/personal/flexible-stop"
    answer = hall_client.post(url, json={"id_number": id_number, "name": "周灵活"})
    assert answer.status_code == 200, answer.json
    assert answer.json["message"] == "灵活就业人员停保登记成功"
    reply = InProcessDriver(platform).personal_flexible_stop(sandbox_id, id_number, "周灵活")
    assert (reply.status, reply.body["code"]) == (422, "E_NO_FLEXIBLE_INSURANCE")


# -- P-2 个人中心维护户籍性质 ----------------------------------------------------------------------


def test_hukou_nature_is_set_on_every_record_of_the_person(
    platform: Platform, sandbox_id: str
) -> None:
    id_number = add_person(platform, sandbox_id, name="吴空白", hukou_nature=None, records=2)
    answer = maintain_hukou_nature(
        platform, sandbox_id, id_number=id_number, name="吴空白", hukou_nature="本地农业"
    )
    assert (answer["hukou_nature"], answer["hukou_nature_label"]) == ("21", "本地农业")
    assert len(answer["person_nos"]) == 2
    with platform.db.transaction() as session:
        natures = session.scalars(
            select(Person.hukou_nature).where(Person.sandbox_id == sandbox_id)
        ).all()
    assert natures == ["21", "21"]
    with platform.db.transaction() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.sandbox_id == sandbox_id)).one()
        assert audit.details == {"before": {p: None for p in answer["person_nos"]}, "after": "21"}


def test_hukou_nature_refuses_an_unknown_code_and_stores_nothing(
    platform: Platform, sandbox_id: str
) -> None:
    id_number = add_person(platform, sandbox_id, name="吴空白", hukou_nature=None)
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        maintain_hukou_nature(
            platform, sandbox_id, id_number=id_number, name="吴空白", hukou_nature="99"
        )
    assert refused.value.problem.message == "户籍性质取值不正确：99"
    assert snapshot(platform, sandbox_id) == before


def test_hukou_nature_clears_i3_10_for_the_unit(
    platform: Platform, hall_client: FlaskClient, sandbox_id: str
) -> None:
    _unit_id, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id, name="吴空白", hukou_nature=None)
    payload = {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": "2021-08-01",
        "job_type": "07",
    }
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)
    assert refused.value.problem.behaviour_id == "I3-10"
    answer = hall_client.post(
        f"/api/v1/sandboxes/{sandbox_id}/personal/hukou-nature",
        json={"id_number": id_number, "name": "吴空白", "hukou_nature": "11"},
    )
    assert answer.status_code == 200, answer.json
    assert platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor).data
