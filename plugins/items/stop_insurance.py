"""用人单位退工停保登记 — guide §三.5; I5-1, I5-2.

Every kind of insured relation at the unit is stopped here (I5-1), one by one
or in batch.  The stop date is the processing time on the sandbox clock and
cannot be changed (I5-2): a request that carries another date is refused.

* An employee's relations (kind ``employee``): contributions end with the month
  before the current fee month, and the employment is ended on the stop date.
* Work injury bought per construction project (kind ``project``, I9-1): the
  person's stays on the unit's projects end as 离场 on the stop date would
  (``project_workers.end_stay``: 离场日期 = the stop date, cover ends with its
  month), so the project's list shows the exit.

Every change goes through the session, so the effects recorder keeps the old
values and 人员变更回退 restores all of them (I6-1).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from plugins.items import common
from plugins.items.common import text
from plugins.items.project_workers import end_stay
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import Employment, InsuredRelation, Person
from simulator.db.projects import Project, ProjectWorker
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
        project_relations = self._project_relations(context, person)
        if not relations and not project_relations:
            raise NOT_INSURED_HERE.refuse(field="id_number")
        context.scratch.update(
            person=person, relations=relations, project_relations=project_relations, reason=reason
        )

    @staticmethod
    def _project_relations(ctx: BusinessContext, person: Person) -> list[InsuredRelation]:
        """The person's running work injury on this unit's projects (kind ``project``, I9-1)."""
        assert ctx.unit is not None
        return list(
            ctx.session.scalars(
                select(InsuredRelation)
                .where(
                    InsuredRelation.sandbox_id == ctx.sandbox.id,
                    InsuredRelation.person_id == person.id,
                    InsuredRelation.unit_id == ctx.unit.id,
                    InsuredRelation.kind == "project",
                    InsuredRelation.status == "1",
                    InsuredRelation.stop_month.is_(None),
                )
                .order_by(InsuredRelation.id)
            )
        )

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
        left = self._leave_projects(context, context.scratch["project_relations"])
        stopped.extend(relation.insurance_code for relation in context.scratch["project_relations"])
        context.note("stop date = processing date", behaviour_id="I5-2",
                     stop_date=context.today.isoformat(), last_month=str(last_month))  # fmt: skip
        data: dict[str, Any] = {
            "person_no": person.person_no,
            "name": person.name,
            "id_number": person.id_number,
            "stop_date": context.today.isoformat(),
            # an employee's last month; with project cover only, the exit month
            "last_insured_month": str(last_month)
            if context.scratch["relations"]
            else str(Month.of(context.today)),
            "stopped_insurance": sorted(set(stopped)),
            "stop_reason": context.scratch["reason"],
        }
        if left:
            data["离场工程"] = left
        return ItemResult(message="停保成功", person_id=person.id, data=data)

    @staticmethod
    def _leave_projects(
        ctx: BusinessContext, relations: list[InsuredRelation]
    ) -> list[dict[str, Any]]:
        """End the person's stays on the unit's projects as 离场 on the stop date (I5-1)."""
        left = []
        for relation in relations:
            stay = ctx.session.scalars(
                select(ProjectWorker).where(
                    ProjectWorker.sandbox_id == ctx.sandbox.id,
                    ProjectWorker.relation_id == relation.id,
                    ProjectWorker.exit_date.is_(None),
                )
            ).first()
            if stay is None:  # a relation without its stay: stop it as 离场 would
                relation.stop_month = str(Month.of(ctx.today))
                relation.status = "3"
                project_code = (relation.note or "").removeprefix("工程编码 ").strip()
                entry = None
            else:
                end_stay(ctx, stay, ctx.today)
                project = ctx.session.get(Project, stay.project_id)
                project_code = project.code if project is not None else ""
                entry = stay.entry_date.isoformat()
            ctx.note("project work injury: the stay ends as 离场 on the stop date",
                     behaviour_id="I5-1", project=project_code,
                     exit_date=ctx.today.isoformat(), stop_month=relation.stop_month)  # fmt: skip
            left.append(
                {
                    "工程编码": project_code,
                    "入场日期": entry,
                    "离场日期": ctx.today.isoformat(),
                    "工伤参保截止年月": relation.stop_month,
                }
            )
        return left


@hookimpl
def register_items() -> list[BusinessItem]:
    return [StopInsurance()]
