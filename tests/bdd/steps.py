"""The shared step library, in the platform's business words (Chinese).

Every step talks to the simulator through the driver (``bdd.drivers``), so
the same features run in-process and against a running simulator.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pytest_bdd import given, parsers, then, when

from bdd.drivers import Driver, Reply

# --- sandbox and clock --------------------------------------------------------------


@given(parsers.parse('一个新的沙箱，时钟为 "{when}"'))
def new_sandbox(driver: Driver, world_state: dict, when: str) -> None:
    world_state["sandbox"] = driver.create_sandbox(clock=when)


@given(parsers.parse('沙箱时钟为 "{when}"'))
@when(parsers.parse('沙箱时钟设为 "{when}"'))
def set_clock(driver: Driver, world_state: dict, when: str) -> None:
    reply = driver.set_clock(world_state["sandbox"], when)
    assert reply.ok, reply.body


@when(parsers.parse("沙箱时钟前进 {days:d} 天"))
def advance_clock(driver: Driver, world_state: dict, days: int) -> None:
    reply = driver.advance_clock(world_state["sandbox"], days)
    assert reply.ok, reply.body


# --- periods (PER-1, PER-2) -------------------------------------------------------------


@when(parsers.parse('查询 "{day}" 的申报期'))
def ask_period(driver: Driver, world_state: dict, day: str) -> None:
    world_state["reply"] = driver.period(world_state["sandbox"], day)


@when("查询当日的申报期")
def ask_period_today(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.period(world_state["sandbox"])


def _body(world_state: dict) -> dict[str, Any]:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    return reply.body


@then(parsers.parse('申报期为 "{start}" 至 "{end}"'))
def period_is(world_state: dict, start: str, end: str) -> None:
    body = _body(world_state)
    assert (body["period_start"], body["period_end"]) == (start, end), body


@then(parsers.parse('费款所属期为 "{month}"'))
def fee_month_is(world_state: dict, month: str) -> None:
    assert _body(world_state)["fee_month"] == month


@then(parsers.parse("当日处于{state}"))
def day_state(world_state: dict, state: str) -> None:
    expected = {"申报期": False, "暂停申报期": True}[state]
    assert _body(world_state)["paused"] is expected, _body(world_state)


# --- contributions (PER-3, PER-8) -----------------------------------------------------------


@when(parsers.parse('试算费款所属期 "{month}" 申报缴费基数 "{base}" 元'))
def trial(driver: Driver, world_state: dict, month: str, base: str) -> None:
    world_state["reply"] = driver.trial(world_state["sandbox"], {"base": base, "fee_month": month})


@when(parsers.parse('试算费款所属期 "{month}" 申报缴费基数 "{base}" 元，工伤行业类别 {klass:d}'))
def trial_with_class(driver: Driver, world_state: dict, month: str, base: str, klass: int) -> None:
    body = {"base": base, "fee_month": month, "industry_class": klass}
    world_state["reply"] = driver.trial(world_state["sandbox"], body)


@when(parsers.parse('试算险种 "{code}" 的缴费'))
def trial_insurance(driver: Driver, world_state: dict, code: str) -> None:
    body = {"base": "5000", "insurance_codes": [code]}
    world_state["reply"] = driver.trial(world_state["sandbox"], body)


@then(parsers.parse('实际缴费基数为 "{base}"，调整为 "{adjustment}"'))
def effective_base(world_state: dict, base: str, adjustment: str) -> None:
    body = _body(world_state)
    assert Decimal(body["effective_base"]) == Decimal(base), body
    assert (body["adjustment"] or "无") == adjustment, body


@then("各险种月缴费为：")
def monthly_amounts(world_state: dict, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    lines = {line["insurance_code"]: line for line in _body(world_state)["lines"]}
    for row in rows:
        expected = dict(zip(header, row, strict=True))
        line = lines[expected["险种"]]
        assert Decimal(line["unit_amount"]) == Decimal(expected["单位缴费金额"]), line
        assert Decimal(line["personal_amount"]) == Decimal(expected["个人缴费金额"]), line


# --- refusals (every documented error) -------------------------------------------------------


@then(parsers.parse('办理被拒绝，提示 "{message}"'))
def refused_with(world_state: dict, message: str) -> None:
    reply: Reply = world_state["reply"]
    assert not reply.ok, reply.body
    assert reply.body["message"] == message, reply.body


@then(parsers.parse('错误代码为 "{code}"'))
def error_code(world_state: dict, code: str) -> None:
    assert world_state["reply"].body["code"] == code, world_state["reply"].body


@then(parsers.parse('处理方法为 "{remedy}"'))
def error_remedy(world_state: dict, remedy: str) -> None:
    assert world_state["reply"].body["remedy"] == remedy, world_state["reply"].body


@then(parsers.parse('依据的行为编号为 "{behaviour_id}"'))
def error_behaviour(world_state: dict, behaviour_id: str) -> None:
    assert world_state["reply"].body["behaviour_id"] == behaviour_id, world_state["reply"].body


@then("办理成功")
def succeeded(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
