"""Steps for the business items, on a world loaded from scenarios/ (docs/worlds.md).

The form is given as a table of the screen's labels (证件号码, 劳动合同开始日期 …); the
labels map to the API's field names through the items' own templates, so a feature
reads like the platform's screen.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from pytest_bdd import given, parsers, then, when

from bdd.drivers import Driver, Reply
from simulator.platform import Platform
from simulator.worlds import DEFAULT_PASSWORD

#: screen labels that differ from the batch templates' headers
EXTRA_LABELS = {
    "用工单位编号": "dispatch_employer_no",
    "用工单位全称": "dispatch_employer_name",
    "业务编号": "business_no",
    "停保时间": "stop_date",
    "调整起始年月": "from_month",
    "补缴月份": "months",
}
#: what 人员变更回退 answers when the counter's later work rests on the business (I6-1)
COUNTER_LATER = "该人员在此业务之后还在经办机构（柜台）办理了{}，请先至柜台撤销后再回退此业务"


@cache
def item_codes_and_labels() -> tuple[dict[str, str], dict[str, str]]:
    items = Platform().items
    names = {item.name: code for code, item in items.items()}
    labels = dict(EXTRA_LABELS)
    for item in items.values():
        for column in getattr(item, "batch_columns", ()):
            labels.setdefault(column.header, column.key)
    return names, labels


def form_from_table(datatable: list[list[str]]) -> dict[str, Any]:
    _, labels = item_codes_and_labels()
    rows = datatable[1:] if datatable and datatable[0] == ["字段", "值"] else datatable
    return {labels.get(label, label): value for label, value in rows}


@given(parsers.parse('载入世界 "{name}"'))
def load_world(driver: Driver, world_state: dict, name: str) -> None:
    if "sandbox" not in world_state:
        world_state["sandbox"] = driver.create_sandbox()
    reply = driver.load_world(world_state["sandbox"], name)
    assert reply.ok, reply.body


def market_record(driver: Driver, world_state: dict, unit_name: str) -> dict[str, Any]:
    records = driver.market_records(world_state["sandbox"]).body["records"]
    return next(r for r in records if r["name"] == unit_name)


@given(parsers.parse('以单位 "{unit_name}" 的法定代表人身份登录'))
@when(parsers.parse('以单位 "{unit_name}" 的法定代表人身份登录'))
def login_as_legal_rep(driver: Driver, world_state: dict, unit_name: str) -> None:
    unit = market_record(driver, world_state, unit_name)
    reply = driver.login(
        world_state["sandbox"], unit["uscc"], unit["legal_rep"]["id_number"], DEFAULT_PASSWORD
    )
    assert reply.ok, reply.body


@given(parsers.parse('办理 "{item_name}"：'))
@when(parsers.parse('办理 "{item_name}"：'))
def do_business(
    driver: Driver, world_state: dict, item_name: str, datatable: list[list[str]]
) -> None:
    names, _ = item_codes_and_labels()
    world_state["reply"] = driver.submit(
        world_state["sandbox"], names[item_name], form_from_table(datatable)
    )
    world_state["last_item"] = names[item_name]
    if world_state["reply"].ok:
        declared = form_from_table(datatable).get("id_number")
        world_state.setdefault("done", []).append({**world_state["reply"].body,
                                                   "declared_id_number": declared})  # fmt: skip


@when(parsers.parse('回退最近办理的 "{item_name}" 业务'))
def roll_back_last(driver: Driver, world_state: dict, item_name: str) -> None:
    done = next(b for b in reversed(world_state["done"]) if b["item_name"] == item_name)
    id_number = done["data"].get("id_number") or done["declared_id_number"]
    payload = {"id_number": id_number, "business_no": done["business_no"]}
    world_state["reply"] = driver.submit(world_state["sandbox"], "rollback", payload)


@when(parsers.parse('回退证件号码 "{id_number}" 业务编号列表中最近一笔业务'))
def roll_back_newest_listed(driver: Driver, world_state: dict, id_number: str) -> None:
    """I6-3 then I6-1: pick the newest business of the form's 业务编号列表 and roll it back."""
    listed = driver.rollback_candidates(world_state["sandbox"], id_number)
    assert listed.ok and listed.body["业务编号列表"], listed.body
    payload = {"id_number": id_number, "business_no": listed.body["业务编号列表"][0]["业务编号"]}
    world_state["reply"] = driver.submit(world_state["sandbox"], "rollback", payload)


# --- the counter's later work on a person (P-3, F-5) and 人员变更回退 (I6-1) ----------------------


@given(parsers.parse('柜台为单位 "{unit_name}" 办理 "{item_name}"：'))
@when(parsers.parse('柜台为单位 "{unit_name}" 办理 "{item_name}"：'))
def counter_business(
    driver: Driver, world_state: dict, unit_name: str, item_name: str, datatable: list[list[str]]
) -> None:
    """A counter business (柜台补缴, 柜台缴费基数调整 …) for a unit of the world, by its form."""
    from plugins.counter import COUNTER_ROUTE_ITEMS

    names, _ = item_codes_and_labels()
    route = next(r for r, code in COUNTER_ROUTE_ITEMS.items() if code == names[item_name])
    body = {"uscc": market_record(driver, world_state, unit_name)["uscc"],
            **form_from_table(datatable)}  # fmt: skip
    world_state["reply"] = reply = driver.counter(world_state["sandbox"], route, body)
    assert reply.ok, reply.body
    world_state.setdefault("counter_done", []).append(reply.body)


@given(
    parsers.parse('柜台为单位 "{unit_name}" 受理证件号码 "{id_number}" 清退 "{months}" 的退费申请')
)
@when(
    parsers.parse('柜台为单位 "{unit_name}" 受理证件号码 "{id_number}" 清退 "{months}" 的退费申请')
)
def counter_refund(
    driver: Driver, world_state: dict, unit_name: str, id_number: str, months: str
) -> None:
    body = {
        "uscc": market_record(driver, world_state, unit_name)["uscc"],
        "id_numbers": [id_number],
        "months": months.split(","),
    }
    world_state["reply"] = reply = driver.counter(world_state["sandbox"], "refunds", body)
    assert reply.ok, reply.body
    world_state.setdefault("counter_done", []).append(reply.body)


@then(parsers.parse('办理被拒绝，提示须先至柜台撤销其后办理的 "{label}"'))
def refused_for_counter_work(world_state: dict, label: str) -> None:
    """The refusal names the counter's work: a business by its 业务编号, a refund by its date."""
    done = next(
        b
        for b in reversed(world_state["counter_done"])
        if b.get("item_name", b.get("事项")) == label
    )
    if "business_no" in done:
        what = f"{label}（业务编号{done['business_no']}）"
    else:
        what = f"{label}（{done['时间'][:10]}受理）"
    reply: Reply = world_state["reply"]
    assert not reply.ok, reply.body
    assert reply.body["message"] == COUNTER_LATER.format(what), reply.body


@then("补缴明细为：")
def backpay_lines(world_state: dict, datatable: list[list[str]]) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    header, *rows = datatable
    actual = reply.body["data"]["补缴明细"]
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(actual) == len(expected), actual
    for got, want in zip(actual, expected, strict=True):
        for key, value in want.items():
            if key in ("月基数", "单位缴费金额", "个人缴费金额", "合计"):
                assert Decimal(got[key]) == Decimal(value), (key, got)
            else:
                assert str(got[key]) == value, (key, got)


@then("没有补缴明细")
def no_backpay(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    assert reply.body["data"]["补缴明细"] == []


@then(parsers.parse('参保开始年月为 "{month}"'))
def start_month(world_state: dict, month: str) -> None:
    assert world_state["reply"].body["data"]["start_month"] == month


@then(parsers.parse('提示需到柜台补缴的月份为 "{months}"'))
def counter_months(world_state: dict, months: str) -> None:
    notices = world_state["reply"].body["notices"]
    notice = next(n for n in notices if n["code"] == "N_BACKPAY_COUNTER")
    assert notice["message"] == "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的"
    assert notice["months"] == months.split(",")


@then(parsers.parse('参保险种为 "{codes}"'))
def insured_types(world_state: dict, codes: str) -> None:
    assert world_state["reply"].body["data"]["insurance_codes"] == codes.split(",")


@then(parsers.parse('办理结果提示 "{message}"'))
def outcome_message(world_state: dict, message: str) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    assert reply.body["message"] == message


@when(parsers.parse('"{name}" 本人在个人网办办理灵活就业人员停保登记，证件号码 "{id_number}"'))
def personal_flexible_stop(driver: Driver, world_state: dict, name: str, id_number: str) -> None:
    reply = driver.personal_flexible_stop(world_state["sandbox"], id_number, name)
    assert reply.ok, reply.body


@when(parsers.parse('网办大厅的定位选择 "{city}"'))
@given(parsers.parse('网办大厅的定位选择 "{city}"'))
def hall_location(driver: Driver, world_state: dict, city: str) -> None:
    codes = {"苏州": "320500", "南京": "320100", "宿迁": "321300", "常州": "320400"}
    reply = driver.set_location(world_state["sandbox"], codes[city])
    assert reply.ok, reply.body


@then(parsers.parse('"{code}" 险种补缴起止年月为 "{span}"，补缴月数 {months:d}'))
def backpay_span(world_state: dict, code: str, span: str, months: int) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    lines = [x for x in reply.body["data"]["补缴明细"] if x["险种"] == code]
    assert [(x["起止年月"], x["补缴月数"]) for x in lines] == [(span, months)], lines


@when(parsers.parse('"{name}" 本人在个人中心将户籍性质维护为 "{value}"，证件号码 "{id_number}"'))
def personal_hukou(
    driver: Driver, world_state: dict, name: str, value: str, id_number: str
) -> None:
    reply = driver.personal_hukou_nature(world_state["sandbox"], id_number, name, value)
    assert reply.ok, reply.body


@when(parsers.parse('查询证件号码 "{id_number}" 可回退的业务'))
def ask_candidates(driver: Driver, world_state: dict, id_number: str) -> None:
    world_state["reply"] = driver.rollback_candidates(world_state["sandbox"], id_number)


@then(parsers.parse('业务编号列表有 {count:d} 笔，最近一笔为 "{item_name}"，经办方式 "{channel}"'))
def candidates_are(world_state: dict, count: int, item_name: str, channel: str) -> None:
    rows = world_state["reply"].body["业务编号列表"]
    assert len(rows) == count, rows
    if rows:
        assert rows[0]["事项"] == item_name and rows[0]["经办方式"] == channel, rows
        assert rows[0]["操作状态"] == "办结" and rows[0]["经办时间"], rows


@then(parsers.parse('办理结果中的{field}为 "{value}"'))
def outcome_field(world_state: dict, field: str, value: str) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    names = {"停保日期": "stop_date", "最后参保年月": "last_insured_month", "状态": "state",
             "转入日期": "converts_on"}  # fmt: skip
    assert str(reply.body["data"][names[field]]) == value, reply.body["data"]


@then(parsers.parse('证件号码 "{id_number}" 在 "{month}" 的月缴费明细为：'))
def monthly_lines(
    driver: Driver, world_state: dict, id_number: str, month: str, datatable: list[list[str]]
) -> None:
    reply = driver.contribution_details(world_state["sandbox"], id_number, month)
    assert reply.ok, reply.body
    header, *rows = datatable
    actual = sorted(
        (r["险种"], Decimal(r["缴费基数"]), Decimal(r["单位缴费"]), Decimal(r["个人缴费"]))
        for r in reply.body["rows"]
        if r["缴费类型"] == "正常应缴"
    )
    expected = sorted(
        (
            row["险种"],
            Decimal(row["缴费基数"]),
            Decimal(row["单位缴费"]),
            Decimal(row["个人缴费"]),
        )
        for row in (dict(zip(header, values, strict=True)) for values in rows)
    )
    assert actual == expected, reply.body["rows"]


@then(
    parsers.parse('证件号码 "{id_number}" 的 "{code}" 险种参保状态为 "{status}"，备注含 "{words}"')
)
def relation_status(
    driver: Driver, world_state: dict, id_number: str, code: str, status: str, words: str
) -> None:
    reply = driver.insured_relations(world_state["sandbox"], id_number)
    assert reply.ok, reply.body
    rows = [r for r in reply.body["rows"] if r["险种"] == code]
    assert rows and rows[-1]["参保状态"] == status and words in rows[-1]["备注"], rows
