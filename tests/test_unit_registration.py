"""企业社会保险信息登记 (I1-1 … I1-5) and 单位信息变更 from market registration (F-4).

The unit is signed up (PREP-1) against the mocked market registration and public
security; the business goes through ``Platform.submit`` with the mocks in-process.
Every refusal comes from its real cause and stores nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from registration_world import (
    add_market_unit,
    cheap_password_hashing,  # noqa: F401  (autouse fixture)
    forget_market_unit,
    module_app,  # noqa: F401  (the fixture ``app``: one application per module)
    signed_up_unit,
    snapshot,
    unit_row,
    uscc_for,
)
from sqlalchemy import select

from mocks import faults
from mocks.transport import in_process_mocks
from simulator.context import SYSTEM, Actor
from simulator.db.models import Business
from simulator.errors import Refused
from simulator.platform import BusinessOutcome, Platform

BANK_AND_CONTACT = {
    "bank_name": "中国工商银行南京秦淮支行",
    "bank_account_name": "南京示例科技有限公司",
    "bank_account_no": "4301012309100123456",
    "contact_name": "李娜",
    "contact_phone": "13812345678",
}


def register(
    platform: Platform,
    app: Flask,
    sandbox_id: str,
    actor: Actor,
    uscc: str,
    item: str = "unit_registration",
    **fields: Any,
) -> BusinessOutcome:
    payload = {"uscc": uscc, **BANK_AND_CONTACT, **fields}
    payload = {key: value for key, value in payload.items() if value is not None}
    with in_process_mocks(app):
        return platform.submit(sandbox_id, item, payload, actor=actor)


def refused(
    platform: Platform, app: Flask, sandbox_id: str, actor: Actor, uscc: str, **fields: Any
) -> Refused:
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refusal:
        register(platform, app, sandbox_id, actor, uscc, **fields)
    assert snapshot(platform, sandbox_id) == before  # nothing stored
    return refusal.value


# -- I1-1, I1-2: the facts come from market registration, the insurance from the nature ------


def test_registration_takes_the_facts_from_market_registration(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(
        platform, app, sandbox_id, name="南京秦淮示例餐饮有限公司", address="南京市秦淮区贡院街2号"
    )
    outcome = register(platform, app, sandbox_id, actor, uscc, name="随手填写的名称",
                       address="随手填写的地址", nature="机关", industry_class="3")  # fmt: skip

    assert outcome.message == "企业社会保险信息登记成功"
    unit = unit_row(platform, unit_id)
    assert (unit.name, unit.address, unit.nature) == (
        "南京秦淮示例餐饮有限公司",
        "南京市秦淮区贡院街2号",
        "企业",
    )
    assert (unit.status, unit.registered_on, unit.unit_no) == (
        "参保",
        date(2021, 8, 16),
        "320100000001",
    )
    assert (unit.region_code, unit.city_code) == ("320105", "320100")
    assert (unit.industry_class, unit.floating_tier) == (3, 3)  # class 3's 100 % tier
    assert unit.insurance_list() == ["110", "210", "410"]
    assert (unit.bank_account_no, unit.contact_phone) == ("4301012309100123456", "13812345678")
    record = outcome.data["unit"]
    assert record["insurance"][0] == {"code": "110", "name": "企业职工基本养老保险"}
    ignored = [t for t in outcome.trace if t.get("behaviour_id") == "I1-1"]
    assert ignored and ignored[0]["ignored"] == "单位名称、单位性质、住所"
    assert any(t.get("path") == "unit_insurance_by_nature" for t in outcome.trace)
    with platform.db.transaction() as session:
        business = session.scalars(select(Business).where(Business.sandbox_id == sandbox_id)).one()
        assert (business.item_code, business.unit_id) == ("unit_registration", unit_id)


@pytest.mark.parametrize(
    ("nature", "insurance"),
    [
        ("企业", ["110", "210", "410"]),
        ("个体工商户", ["110", "210", "410"]),
        ("民办非企业", ["110", "210", "410"]),
        ("社会团体", ["110", "210", "410"]),
        ("机关", ["210", "410"]),
        ("参公", ["210", "410"]),
        ("事业单位", ["210", "410"]),
        ("农民专业合作社", ["110", "210", "410"]),  # no row: an enterprise's (decision)
        ("基金会", ["110", "210", "410"]),
    ],
)
def test_insurance_types_default_from_the_nature(
    platform: Platform, app: Flask, sandbox_id: str, nature: str, insurance: list[str]
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id, nature=nature)
    outcome = register(platform, app, sandbox_id, actor, uscc)
    assert unit_row(platform, unit_id).insurance_list() == insurance
    rule = next(t for t in outcome.trace if t.get("behaviour_id") == "I1-2")
    assert rule["nature"] == nature


def test_the_work_injury_class_and_tier(platform: Platform, app: Flask, sandbox_id: str) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    problem = refused(platform, app, sandbox_id, actor, uscc, industry_class="9").problem
    assert (problem.code, problem.field) == ("E_INDUSTRY_CLASS", "industry_class")
    problem = refused(platform, app, sandbox_id, actor, uscc, floating_tier="4").problem
    assert problem.message == "工伤保险浮动档次不正确：1类行业的浮动档次为1至3"
    register(platform, app, sandbox_id, actor, uscc, industry_class="5", floating_tier="1")
    assert (
        unit_row(platform, unit_id).industry_class,
        unit_row(platform, unit_id).floating_tier,
    ) == (5, 1)


def test_registration_stays_open_on_paused_days(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    platform.set_clock(sandbox_id, "2021-09-08")
    register(platform, app, sandbox_id, actor, uscc)
    assert unit_row(platform, unit_id).registered_on == date(2021, 9, 8)


# -- I1-3: bank and contact -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "labels"),
    [
        (["bank_name"], "开户银行"),
        (["bank_account_name", "bank_account_no"], "户名、账号"),
        (["contact_phone", "contact_name"], "联系人、联系电话"),
        (list(BANK_AND_CONTACT), "开户银行、户名、账号、联系人、联系电话"),
    ],
)
def test_missing_bank_and_contact_fields_are_named(
    platform: Platform, app: Flask, sandbox_id: str, missing: list[str], labels: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    blank = {key: " " for key in missing}
    problem = refused(platform, app, sandbox_id, actor, uscc, **blank).problem
    assert problem.message == f"单位银行信息及联系人信息请补充完整：{labels}"
    assert (problem.code, problem.behaviour_id, problem.http_status) == (
        "E_UNIT_INFO_INCOMPLETE",
        "I1-3",
        400,
    )
    assert set(problem.details["missing"]) == set(missing)


@pytest.mark.parametrize("phone", ["12345", "23800000000", "025-123", "138000000001"])
def test_a_malformed_contact_phone_is_refused(
    platform: Platform, app: Flask, sandbox_id: str, phone: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    problem = refused(platform, app, sandbox_id, actor, uscc, contact_phone=phone).problem
    assert (problem.code, problem.message) == ("E_CONTACT_PHONE_FORMAT", "联系电话格式不正确")


@pytest.mark.parametrize(
    "phone", ["025-84561234", "02584561234", "0512-6752345", "025-84561234-801"]
)
def test_a_landline_is_a_contact_phone(
    platform: Platform, app: Flask, sandbox_id: str, phone: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    register(platform, app, sandbox_id, actor, uscc, contact_phone=phone)
    assert unit_row(platform, unit_id).contact_phone == phone


def test_a_malformed_bank_account_is_refused(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    problem = refused(platform, app, sandbox_id, actor, uscc, bank_account_no="12ab").problem
    assert problem.code == "E_BANK_ACCOUNT_FORMAT"


# -- I1-4: the look-up fails ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["注销", "吊销"])
def test_a_unit_no_longer_in_existence_goes_to_the_hall(
    platform: Platform, app: Flask, sandbox_id: str, status: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    add_market_unit(platform, sandbox_id, uscc=uscc, status=status)
    problem = refused(platform, app, sandbox_id, actor, uscc).problem
    assert (problem.code, problem.message, problem.behaviour_id) == (
        "E_MARKET_LOOKUP",
        "需至当地社保大厅处理",
        "I1-4",
    )
    assert f"登记状态为“{status}”" in problem.remedy
    assert problem.details == {"status": status}


def test_a_unit_market_regulation_does_not_know_goes_to_the_hall(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    forget_market_unit(platform, sandbox_id, uscc)
    problem = refused(platform, app, sandbox_id, actor, uscc).problem
    assert problem.message == "需至当地社保大厅处理"
    assert "未查询到" in problem.remedy


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("outage", "服务不可用"),
        ("refused", "连接被拒绝"),
        ("slow", "查询超时"),
        ("malformed", "返回数据异常"),
    ],
)
def test_a_failing_market_service_goes_to_the_hall_and_can_be_retried(
    platform: Platform, app: Flask, sandbox_id: str, mode: str, words: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "market", mode)
    problem = refused(platform, app, sandbox_id, actor, uscc).problem
    assert (problem.code, problem.message) == ("E_MARKET_LOOKUP", "需至当地社保大厅处理")
    assert words in problem.remedy
    assert problem.details["service"] == "market"
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "market", "normal")
    register(platform, app, sandbox_id, actor, uscc)
    assert unit_row(platform, unit_id).status == "参保"


# -- I1-5 and who may register ---------------------------------------------------------------------


def test_an_insured_unit_is_not_registered_again(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    register(platform, app, sandbox_id, actor, uscc)
    problem = refused(platform, app, sandbox_id, actor, uscc).problem
    assert (problem.code, problem.message, problem.behaviour_id) == (
        "E_UNIT_ALREADY_INSURED",
        "该单位已参保登记",
        "I1-5",
    )
    # the unit's own state answers before the market look-up's failure
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "market", "outage")
    assert refused(platform, app, sandbox_id, actor, uscc).problem.code == "E_UNIT_ALREADY_INSURED"


def test_the_uscc_must_be_the_logged_in_units(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor, _uscc = signed_up_unit(platform, app, sandbox_id)
    other = add_market_unit(platform, sandbox_id, uscc=uscc_for(serial=77))
    problem = refused(platform, app, sandbox_id, actor, other).problem
    assert problem.code == "E_UNIT_USCC_MISMATCH"
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refusal, in_process_mocks(app):
        platform.submit(sandbox_id, "unit_registration", dict(BANK_AND_CONTACT), actor=actor)
    assert (refusal.value.problem.code, refusal.value.problem.field) == ("E_REQUIRED_FIELD", "uscc")
    assert snapshot(platform, sandbox_id) == before


def test_registration_needs_a_logged_in_unit(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    uscc = add_market_unit(platform, sandbox_id)
    with pytest.raises(Refused) as refusal:
        register(platform, app, sandbox_id, SYSTEM, uscc)
    assert (refusal.value.problem.code, refusal.value.problem.behaviour_id) == (
        "E_NOT_LOGGED_IN",
        "PREP-1",
    )


def test_registration_over_http(platform: Platform, app: Flask, sandbox_id: str) -> None:
    from registration_world import LEGAL_REP_ID, PASSWORD

    unit_id, _actor, uscc = signed_up_unit(platform, app, sandbox_id)
    client = app.test_client()
    token = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": uscc, "id_number": LEGAL_REP_ID, "password": PASSWORD},
    ).json["token"]
    with in_process_mocks(app):
        answer = client.post(
            f"/api/v1/sandboxes/{sandbox_id}/businesses/unit_registration",
            json={"uscc": uscc, **BANK_AND_CONTACT},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 201, answer.json
    assert answer.json["data"]["unit"]["unit_no"] == unit_row(platform, unit_id).unit_no


# -- F-4: the record follows market registration ------------------------------------------------------


def test_refresh_follows_a_change_made_at_market_regulation(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    register(platform, app, sandbox_id, actor, uscc)
    add_market_unit(platform, sandbox_id, uscc=uscc, name="南京示例智能科技有限公司",
                    address="南京市秦淮区中山南路99号", legal_rep_name="赵强",
                    legal_rep_id_number="320102198006010672")  # fmt: skip
    outcome = register(platform, app, sandbox_id, actor, uscc, item="unit_info_refresh")

    assert outcome.message == "单位信息已按市场监管登记信息变更"
    changed = {c["label"]: (c["before"], c["after"]) for c in outcome.data["changes"]}
    assert changed == {
        "单位名称": ("南京示例科技有限公司", "南京示例智能科技有限公司"),
        "住所": ("南京市秦淮区中华路1号", "南京市秦淮区中山南路99号"),
        "法定代表人": ("王芳", "赵强"),
        "法定代表人证件号码": ("320105197503080246", "320102198006010672"),
    }
    unit = unit_row(platform, unit_id)
    assert (unit.name, unit.legal_rep_name, unit.unit_no) == (
        "南京示例智能科技有限公司",
        "赵强",
        "320100000001",
    )
    with platform.db.transaction() as session:
        items = session.scalars(
            select(Business.item_code)
            .where(Business.sandbox_id == sandbox_id)
            .order_by(Business.id)
        ).all()
    assert items == ["unit_registration", "unit_info_refresh"]


def test_refresh_notices_what_it_does_not_follow(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    register(platform, app, sandbox_id, actor, uscc)
    add_market_unit(platform, sandbox_id, uscc=uscc, nature="事业单位", region_code="320583")
    outcome = register(platform, app, sandbox_id, actor, uscc, item="unit_info_refresh")
    assert {n["code"] for n in outcome.notices} == {"N_REGION_CHANGED", "N_NATURE_CHANGED"}
    unit = unit_row(platform, unit_id)
    assert (unit.nature, unit.region_code, unit.insurance_codes) == (
        "事业单位",
        "320105",
        "110,210,410",
    )


def test_refresh_refuses_nothing_to_change_and_an_uninsured_unit(
    platform: Platform, app: Flask, sandbox_id: str
) -> None:
    _unit_id, actor, uscc = signed_up_unit(platform, app, sandbox_id)
    problem = refused(platform, app, sandbox_id, actor, uscc, item="unit_info_refresh").problem
    assert (problem.code, problem.behaviour_id) == ("E_UNIT_NOT_INSURED", "F-4")
    register(platform, app, sandbox_id, actor, uscc)
    problem = refused(platform, app, sandbox_id, actor, uscc, item="unit_info_refresh").problem
    assert (problem.code, problem.message) == (
        "E_UNIT_INFO_UNCHANGED",
        "单位信息与市场监管登记信息一致，无需变更",
    )
    add_market_unit(platform, sandbox_id, uscc=uscc, status="吊销")
    problem = refused(platform, app, sandbox_id, actor, uscc, item="unit_info_refresh").problem
    assert (problem.code, problem.behaviour_id) == ("E_MARKET_LOOKUP", "I1-4")
