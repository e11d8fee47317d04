"""用人单位退工停保登记 — guide §三.5; I5-1, I5-2.

Every kind of insured relation at the unit is stopped here (I5-1), one by one
or in batch.  The stop date is the processing time on the sandbox clock and
cannot be changed (I5-2): a request that carries another date is refused.
Contributions end with the month before the current fee month.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import Employment
from simulator.errors import ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.months import Month
from simulator.workbooks import Column

STOP_DATE_FIXED = ErrorSpec(
    code="E_STOP_DATE_FIXED",
    message="停保时间默认为当前经办时间，不允许修改",
    remedy="请删除停保日期后重新提交，系统以经办时间作为停保时间。",
    behaviour_id="I5-2",
    http_status=400,
)
NOT_INSURED_HERE = ErrorSpec(
    code="E_NOT_INSURED_HERE",
    message="该人员在本单位没有正常参保的记录，无需停保",
    remedy="请核对证件号码；已停保的人员无需重复办理。",
    behaviour_id="I5-1",
)


class StopInsurance(BusinessItem):
    code = "stop_insurance"
    name = "用人单位退工停保登记"
    window_tabs = ("减员申报", "批量减员申报")
    guide_hint = (
        "所有参保业务，经此模块办理停保，支持批量停保业务。停保时间默认为当前经办时间，不允许修改。"
    )
    guide_section = "G §三.5"
    batch_columns = (
        Column("id_number", "证件号码", required=True),
        Column("person_no", "个人唯一识别码"),
        Column("name", "姓名"),
        Column("stop_reason", "退工原因", required=True),
    )
    batch_notes = ("停保时间默认为当前经办时间，不允许修改。",)

    def form(self, context: BusinessContext) -> list[FormField]:
        reasons = common.choices(context.parameters().value("codes.stop_reasons"))
        return [
            FormField("id_number", "证件号码", True, "id_number", "人员基本信息"),
            FormField("person_no", "个人唯一识别码", False, "text", "人员基本信息"),
            FormField("stop_reason", "退工原因", True, "choice", "停保信息", reasons),
            FormField("stop_date", "停保时间", False, "date", "停保信息",
                      help="默认为当前经办时间，不允许修改"),
        ]  # fmt: skip

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        common.require(payload, {"id_number": "证件号码", "stop_reason": "退工原因"})
        id_number = common.check_id_number(payload)
        reason = common.check_choice(
            payload, "stop_reason", "退工原因", context.parameters().value("codes.stop_reasons")
        )
        asked: date | None = common.parse_date(payload, "stop_date", "停保时间")
        if asked is not None and asked != context.today:
            raise STOP_DATE_FIXED.refuse(field="stop_date")
        person = common.find_person(context, id_number, text(payload, "person_no"))
        relations = [
            r
            for r in common.active_relations(context, person)
            if r.unit_id == context.unit.id  # type: ignore[union-attr]
        ]
        if not relations:
            raise NOT_INSURED_HERE.refuse(field="id_number")
        context.scratch.update(person=person, relations=relations, reason=reason)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person = context.scratch["person"]
        last_month = context.fee_month.plus(-1)
        stopped = []
        for relation in context.scratch["relations"]:
            relation.stop_month = str(max(last_month, Month.parse(relation.start_month).plus(-1)))
            relation.status = "3"
            stopped.append(relation.insurance_code)
        employment_ids = {r.employment_id for r in context.scratch["relations"] if r.employment_id}
        for employment in context.session.scalars(
            select(Employment).where(Employment.id.in_(employment_ids))
        ):
            employment.stopped_on = context.today
            employment.stop_reason = context.scratch["reason"]
        context.note("stop date = processing date", behaviour_id="I5-2",
                     stop_date=context.today.isoformat(), last_month=str(last_month))  # fmt: skip
        return ItemResult(
            message="停保成功",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "name": person.name,
                "stop_date": context.today.isoformat(),
                "last_insured_month": str(last_month),
                "stopped_insurance": sorted(stopped),
                "stop_reason": context.scratch["reason"],
            },
        )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [StopInsurance()]
