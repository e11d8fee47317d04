"""The trainer console through its web routes (Flask's test client, logged in as the trainer).

* The counter console (P-3): each of its seven tabs shows its form and does its business on
  the ``every-error`` world (docs/worlds.md says who illustrates which counter case).
* Loading a world into a sandbox that holds one is refused (E_WORLD_PRESENT) unless
  先清空 is ticked — and it is not ticked by default.
* An invalid clock date or time is refused on the page, naming the field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.items.employment_enrolment import EmploymentEnrolment
from simulator.app import TestConfig, create_app
from simulator.auth import actor_of
from simulator.db.models import Account, BenefitPayment, Business, CounterRecord, Person, Unit
from simulator.identifiers import generate_resident_id
from simulator.platform import Platform
from simulator.worlds import load_world

TRAINER_PASSWORD = "trainer-console-test"
MAIN = "91320115885976376T"  # every-error's `main`
UNKNOWN_TO_MARKET = "913201156530735571"  # a valid code market regulation does not know (I1-4)
LI_XIAOMING = "320104199205051335"  # public security holds another name (I2-2)
WANG_HAO = "320113199804061558"  # collected, never insured (PER-5 with an early contract)
WU_LIJUAN = "320115199011030164"  # insured at main since 2021-01, base 5,200 (I7-3)
ZHOU_JIANHUA = "320115198504120315"  # insured at main since 2020-03 (I5-1, F-5)
LIU_FANG = "320116198907072027"  # unemployment benefit 2021-04 … 2021-07 not returned (I3-8)
XU_JING = "320104198801110464"  # collected, not insured


class ConsoleConfig(TestConfig):
    TRAINER_PASSWORD = TRAINER_PASSWORD


@pytest.fixture
def app(platform: Platform) -> Flask:
    return create_app(ConsoleConfig, platform=platform)


@pytest.fixture
def every_error(platform: Platform, sandbox_id: str) -> str:
    load_world(platform, sandbox_id, "every-error")
    return sandbox_id


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def trainer(client: FlaskClient) -> FlaskClient:
    """The test client, logged in to the trainer console."""
    page = client.get("/trainer/login").get_data(as_text=True)
    reply = client.post(
        "/trainer/login", data={"password": TRAINER_PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert reply.status_code == 302 and reply.headers["Location"] == "/trainer/"
    return client


def main_actor(platform: Platform, sandbox_id: str) -> Any:
    with platform.db.transaction() as session:
        account = session.scalars(
            select(Account)
            .join(Unit, Unit.id == Account.unit_id)
            .where(Unit.sandbox_id == sandbox_id, Unit.uscc == MAIN)
            .order_by(Account.id)
        ).first()
        assert account is not None
        return actor_of(account)


def field_names(page: str) -> set[str]:
    """The names of the inputs and selects of the counter's form (the tab shown)."""
    form = page.split('id="counter-form"', 1)[1].split("</form>", 1)[0]
    return set(re.findall(r'<(?:input|select)[^>]*\bname="([^"]+)"', form))


def counter_tab(client: FlaskClient, sandbox_id: str, item: str) -> str:
    reply = client.get(f"/trainer/sandboxes/{sandbox_id}/counter?item={item}")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def do_at_counter(client: FlaskClient, sandbox_id: str, item: str, fields: dict[str, str]) -> str:
    """Open the tab, check that every field sent is on its form, submit it; the page shown."""
    page = counter_tab(client, sandbox_id, item)
    offered = field_names(page)
    assert set(fields) <= offered, sorted(set(fields) - offered)
    kind = {"refund": "refund", "benefit": "benefit"}.get(item, "item")
    reply = client.post(
        f"/trainer/sandboxes/{sandbox_id}/counter",
        data={**fields, "kind": kind, "item": item, "csrf_token": csrf_token(page)},
    )
    assert reply.status_code == 200
    answer = reply.get_data(as_text=True)
    assert 'id="problems"' not in answer, re.findall(r'<div class="message">(.*?)<', answer)
    assert "办理成功" in answer
    return answer


# --- the counter console: the seven tabs -------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "fields"),
    [
        (
            "counter_identity_collection",
            {
                "id_type",
                "id_number",
                "name",
                "gender",
                "ethnicity",
                "birth_date",
                "mobile",
                "hukou_nature",
                "hukou_region",
                "hukou_address",
            },
        ),
        ("counter_backpay", {"id_number", "person_no", "months", "base"}),
        ("counter_base_change", {"id_number", "person_no", "base", "from_month"}),
        ("counter_benefit_return", {"id_number", "person_no", "months"}),
    ],
)
def test_the_counter_tabs_show_their_forms(
    trainer: FlaskClient, every_error: str, item: str, fields: set[str]
) -> None:
    page = counter_tab(trainer, every_error, item)
    assert fields | {"unit_uscc"} <= field_names(page)
    assert '<span class="star">★</span>证件号码' in page


def test_every_counter_tab_does_its_business(
    trainer: FlaskClient, platform: Platform, every_error: str
) -> None:
    sid = every_error
    actor = main_actor(platform, sid)

    # 柜台单位参保登记 (I1-4): a unit market regulation does not know
    legal_rep = generate_resident_id("320115", date(1976, 6, 6), 21, "男")
    page = do_at_counter(
        trainer,
        sid,
        "counter_unit_registration",
        {
            "uscc": UNKNOWN_TO_MARKET,
            "name": "南京示例柜台登记有限公司",
            "region_code": "320115",
            "legal_rep_name": "柜台法人",
            "legal_rep_id_number": legal_rep,
            "password": "Counter@2021",
        },
    )
    assert "柜台单位参保登记" in page

    # 柜台人员基础信息采集 (I2-2): 李晓明, whom public security knows by another name
    page = do_at_counter(
        trainer,
        sid,
        "counter_identity_collection",
        {
            "unit_uscc": MAIN,
            "id_type": "居民身份证",
            "id_number": LI_XIAOMING,
            "name": "李晓明",
            "gender": "男",
            "ethnicity": "汉族",
            "birth_date": "1992-05-05",
            "mobile": "13912345678",
            "hukou_nature": "11",
            "hukou_region": "320104",
            "hukou_address": "南京市秦淮区示例路1号",
        },
    )
    assert "柜台人员基础信息采集" in page

    # 柜台补缴 (PER-5): 王浩 enrolled online from 2021-01: two months beyond the six
    enrolled = platform.submit(
        sid,
        EmploymentEnrolment.code,
        {
            "id_number": WANG_HAO,
            "contract_reason": "1",
            "contract_start": "2021-01-04",
            "job_type": "07",
            "base": "6000",
        },
        actor=actor,
    )
    assert enrolled.data["counter_backpay_months"] == ["2021-01", "2021-02"]
    do_at_counter(trainer, sid, "counter_backpay", {"unit_uscc": MAIN, "id_number": WANG_HAO})

    # 柜台缴费基数调整 (I7-3): 吴丽娟's base goes down
    do_at_counter(
        trainer,
        sid,
        "counter_base_change",
        {"unit_uscc": MAIN, "id_number": WU_LIJUAN, "base": "4800"},
    )

    # 失业金退回 (I3-8): 刘芳's benefit, then she can be enrolled
    do_at_counter(trainer, sid, "counter_benefit_return", {"id_number": LIU_FANG})

    # 退费申请 (F-5): 周建华 stopped online
    platform.submit(
        sid, "stop_insurance", {"id_number": ZHOU_JIANHUA, "stop_reason": "6301"}, actor=actor
    )
    do_at_counter(
        trainer, sid, "refund", {"uscc": MAIN, "id_numbers": ZHOU_JIANHUA, "months": "2021-07"}
    )

    # 失业金发放登记: staged for 徐静
    do_at_counter(
        trainer,
        sid,
        "benefit",
        {"id_number": XU_JING, "months": "2021-06,2021-07", "amount": "1900"},
    )

    with platform.db.transaction() as session:
        kinds = session.scalars(
            select(CounterRecord.kind).where(CounterRecord.sandbox_id == sid)
        ).all()
        assert sorted(kinds) == sorted(
            [
                "unit_registration",
                "identity_collection",
                "backpay",
                "base_change",
                "benefit_return",
                "refund",
                "benefit_payment",
            ]
        )
        counter_items = session.scalars(
            select(Business.item_code).where(
                Business.sandbox_id == sid, Business.item_code.like("counter_%")
            )
        ).all()
        assert len(counter_items) == 5
        unit = session.scalars(
            select(Unit).where(Unit.sandbox_id == sid, Unit.uscc == UNKNOWN_TO_MARKET)
        ).one()
        assert unit.status == "参保"
        li = session.scalars(
            select(Person).where(Person.sandbox_id == sid, Person.id_number == LI_XIAOMING)
        ).one()
        assert (li.name, li.id_type, li.hukou_nature) == ("李晓明", "居民身份证", "11")
        unreturned = session.scalar(
            select(func.count())
            .select_from(BenefitPayment)
            .join(Person, Person.id == BenefitPayment.person_id)
            .where(Person.id_number == LIU_FANG, BenefitPayment.returned_on.is_(None))
        )
        assert unreturned == 0
    # the loop closed: 刘芳 is enrolled online now (I3-8)
    platform.submit(
        sid,
        EmploymentEnrolment.code,
        {
            "id_number": LIU_FANG,
            "contract_reason": "1",
            "contract_start": "2021-04-01",
            "job_type": "07",
            "base": "6000",
        },
        actor=actor,
    )
    records = counter_tab(trainer, sid, "benefit").split("柜台记录", 1)[1]
    for name in ("李晓明", "王浩", "吴丽娟", "刘芳", "周建华", "徐静"):
        assert name in records


def test_a_refused_counter_form_keeps_what_was_typed(
    trainer: FlaskClient, every_error: str
) -> None:
    page = counter_tab(trainer, every_error, "counter_base_change")
    reply = trainer.post(
        f"/trainer/sandboxes/{every_error}/counter",
        data={
            "kind": "item",
            "item": "counter_base_change",
            "id_number": WU_LIJUAN,
            "base": "4800",
            "csrf_token": csrf_token(page),
        },
    ).get_data(as_text=True)
    assert "请选择办理业务的参保单位" in reply  # no unit: E_COUNTER_UNIT_REQUIRED
    assert f'value="{WU_LIJUAN}"' in reply and 'value="4800"' in reply


# --- loading a world -----------------------------------------------------------------------------


def test_loading_a_world_over_a_world_is_refused_unless_asked_to_empty_it(
    trainer: FlaskClient, platform: Platform, every_error: str
) -> None:
    page = trainer.get(f"/trainer/sandboxes/{every_error}").get_data(as_text=True)
    (checkbox,) = re.findall(r'<input type="checkbox" name="replace"[^>]*>', page)
    assert "checked" not in checkbox  # 先清空 is the trainer's choice, not the default
    with platform.db.transaction() as session:
        units_before = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.sandbox_id == every_error)
        )
    refused = trainer.post(
        f"/trainer/sandboxes/{every_error}/world",
        data={"world": "demo", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已载入世界" not in refused and "不能再加载世界" in refused
    assert platform.describe_sandbox(every_error)["world"] == "every-error"
    with platform.db.transaction() as session:
        assert units_before == session.scalar(
            select(func.count()).select_from(Unit).where(Unit.sandbox_id == every_error)
        )
    replaced = trainer.post(
        f"/trainer/sandboxes/{every_error}/world",
        data={"world": "demo", "replace": "1", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已载入世界 demo" in replaced
    assert platform.describe_sandbox(every_error)["world"] == "demo"


def test_the_world_present_refusal_is_shown(trainer: FlaskClient, every_error: str) -> None:
    page = trainer.get(f"/trainer/sandboxes/{every_error}").get_data(as_text=True)
    refused = trainer.post(
        f"/trainer/sandboxes/{every_error}/world",
        data={"world": "every-error", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    answer = refused.get_data(as_text=True)
    assert f"沙箱 {every_error} 已有数据（世界 every-error），不能再加载世界" in answer
    assert "勾选“先清空”后再载入" in answer


# --- setting the clock -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_text", "time_text", "shown"),
    [
        ("2021-02-30", "09:00", "设置日期不是有效的日期：2021-02-30"),
        ("notadate", "", "设置日期不是有效的日期：notadate"),
        ("2021-08-20", "25:00", "时间不是有效的时间：25:00"),
        ("", "09:00", "请填写日期"),
    ],
)
def test_an_invalid_clock_date_is_refused_on_the_page(
    trainer: FlaskClient, every_error: str, date_text: str, time_text: str, shown: str
) -> None:
    before = trainer.application.extensions["shebao_sim"].clock(every_error)["now"]
    page = trainer.get(f"/trainer/sandboxes/{every_error}").get_data(as_text=True)
    reply = trainer.post(
        f"/trainer/sandboxes/{every_error}/clock",
        data={
            "action": "set",
            "date": date_text,
            "time": time_text,
            "csrf_token": csrf_token(page),
        },
        follow_redirects=True,
    )
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    answer = reply.get_data(as_text=True)
    assert shown in answer and 'class="flash error"' in answer
    assert trainer.application.extensions["shebao_sim"].clock(every_error)["now"] == before


def test_a_valid_clock_date_and_time_is_set(trainer: FlaskClient, every_error: str) -> None:
    page = trainer.get(f"/trainer/sandboxes/{every_error}").get_data(as_text=True)
    reply = trainer.post(
        f"/trainer/sandboxes/{every_error}/clock",
        data={
            "action": "set",
            "date": "2021-09-07",
            "time": "14:30",
            "csrf_token": csrf_token(page),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "沙箱时钟：2021-09-07 14:30:00（暂停申报期）" in reply
