"""劳务派遣用工调转 (人力资源服务机构使用) — guide §三.8; I8-1.

"用于同一人力资源服务机构下实际用工单位之间参保人员的调转" (G §三.8): an HR-service
agency (人力资源服务机构, ``Unit.is_hr_agency``) insures dispatched workers
itself and records, on each employment, the actual employer (实际用工单位:
用工单位编号, 用工单位全称, I3-2/I3-11).  When a worker moves from one actual
employer to another, the agency declares the transfer here.

* Only HR-service agencies may (I8-1); any other unit is refused
  (``E_NOT_HR_AGENCY``).
* Fields: 证件号码★, 个人唯一识别码 (several records, I3-7), 原用工单位编号 (if
  given, it must be the person's current actual employer), 新用工单位编号★,
  新用工单位全称★, 调转日期 (default: today on the sandbox clock; not later than
  today, not before the labour contract started).
* The person must have a running dispatch employment with insurance at this
  agency — one with 劳务派遣信息 (an actual employer recorded: 劳务派遣 or 人事代理);
  the agency's own staff are refused (``E_NO_DISPATCH_EMPLOYMENT``).
* The new actual employer must differ from the current one, and be a real actual
  employer (**decision**, docs/decisions.md): a unit insured on the platform whose
  单位编号 is 新用工单位编号 (``E_DISPATCH_EMPLOYER_NOT_FOUND``), not the agency
  itself (``E_DISPATCH_OWN_UNIT``), and whose registered 单位全称 is 新用工单位全称
  (``E_DISPATCH_EMPLOYER_NAME``; full-width and half-width forms and spaces aside).
  The simulator keeps no register of dispatch agreements, so any other insured
  unit may receive the worker; the registered name is stored.
* Insurance goes on without a gap: the relations (参保关系) are not touched —
  same start month, no stop, no back pay; only the employment's dispatch fields
  change.  The old values are kept three ways: the effects recorder stores them
  (so 人员变更回退 can restore them, I6-1), the business's result lists 原/新用工
  单位, and the trace says what moved.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import select

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import Employment, InsuredRelation, Person, Unit
from simulator.errors import INVALID_INPUT, ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.workbooks import Column

NOT_HR_AGENCY = ErrorSpec(
    code="E_NOT_HR_AGENCY",
    message="只有人力资源服务机构才能办理劳务派遣用工调转",
    remedy=(
        "劳务派遣用工调转用于同一人力资源服务机构下实际用工单位之间参保人员的调转；"
        "非人力资源服务机构的职工变动，请办理用人单位退工停保登记和用人单位用工参保登记。"
    ),
    behaviour_id="I8-1",
    http_status=403,
)
NO_DISPATCH_EMPLOYMENT = ErrorSpec(
    code="E_NO_DISPATCH_EMPLOYMENT",
    message="该人员在本单位没有正常参保的劳务派遣用工记录，无法调转",
    remedy="请核对证件号码；尚未参保的人员请先办理用人单位用工参保登记。",
    behaviour_id="I8-1",
)
FROM_EMPLOYER_MISMATCH = ErrorSpec(
    code="E_DISPATCH_FROM_MISMATCH",
    message="原用工单位编号与该人员当前的实际用工单位（{current}）不一致",
    remedy="请核对原用工单位编号，或不填写原用工单位编号，由系统带出当前实际用工单位。",
    behaviour_id="I8-1",
    http_status=400,
)
SAME_EMPLOYER = ErrorSpec(
    code="E_DISPATCH_SAME_EMPLOYER",
    message="新用工单位与原用工单位相同，无需调转",
    remedy="请填写调入的实际用工单位的编号和全称。",
    behaviour_id="I8-1",
    http_status=400,
)
OWN_UNIT = ErrorSpec(
    code="E_DISPATCH_OWN_UNIT",
    message="新用工单位不能是本人力资源服务机构，劳务派遣用工调转只能在实际用工单位之间办理",
    remedy=(
        "请填写调入的实际用工单位的单位编号和全称；派遣人员不再派遣、转为本机构自有职工的，"
        "不属于劳务派遣用工调转，请至经办机构咨询办理。"
    ),
    behaviour_id="I8-1",
    http_status=400,
)
EMPLOYER_NOT_FOUND = ErrorSpec(
    code="E_DISPATCH_EMPLOYER_NOT_FOUND",
    message="未查询到单位编号为{unit_no}的参保单位，新用工单位须为已参保的实际用工单位",
    remedy=(
        "请核对新用工单位编号（实际用工单位的社会保险单位编号）；"
        "实际用工单位尚未参保的，请其先办理企业社会保险信息登记。"
    ),
    behaviour_id="I8-1",
)
EMPLOYER_NAME_MISMATCH = ErrorSpec(
    code="E_DISPATCH_EMPLOYER_NAME",
    message="新用工单位全称与单位编号{unit_no}登记的单位名称（{name}）不一致",
    remedy="请按实际用工单位参保登记的单位全称填写，或核对新用工单位编号。",
    behaviour_id="I8-1",
    http_status=400,
)


class DispatchTransfer(BusinessItem):
    code = "dispatch_transfer"
    name = "劳务派遣用工调转"
    window_tabs = ("调转申报", "批量调转申报")
    guide_hint = "用于同一人力资源服务机构下实际用工单位之间参保人员的调转。"
    guide_section = "G §三.8"
    batch_columns = (
        Column("id_number", "证件号码", required=True),
        Column("person_no", "个人唯一识别码"),
        Column("from_employer_no", "原用工单位编号"),
        Column("to_employer_no", "新用工单位编号", required=True),
        Column("to_employer_name", "新用工单位全称", required=True),
        Column("transfer_date", "调转日期"),
    )
    batch_notes = (
        "仅人力资源服务机构使用：同一人力资源服务机构下实际用工单位之间参保人员的调转。",
        "调转日期可不填，默认为经办当日；参保关系不中断。",
    )

    def form(self, context: BusinessContext) -> list[FormField]:
        person = "人员基本信息"
        dispatch = "劳务派遣调转信息"
        return [
            FormField("id_number", "证件号码", True, "id_number", person),
            FormField("person_no", "个人唯一识别码", False, "text", person),
            FormField("from_employer_no", "原用工单位编号", False, "text", dispatch,
                      help="由证件号码带出当前实际用工单位"),
            FormField("to_employer_no", "新用工单位编号", True, "text", dispatch),
            FormField("to_employer_name", "新用工单位全称", True, "text", dispatch),
            FormField("transfer_date", "调转日期", False, "date", dispatch,
                      help="默认为经办当日"),
        ]  # fmt: skip

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        unit = context.unit
        assert unit is not None
        if not unit.is_hr_agency:
            raise NOT_HR_AGENCY.refuse()
        common.require(
            payload,
            {
                "id_number": "证件号码",
                "to_employer_no": "新用工单位编号",
                "to_employer_name": "新用工单位全称",
            },
        )
        id_number = common.check_id_number(payload)
        transfer_date = common.parse_date(payload, "transfer_date", "调转日期") or context.today
        if transfer_date > context.today:
            raise INVALID_INPUT.refuse(field="transfer_date", message="调转日期不能晚于经办当日")
        person = common.find_person(context, id_number, text(payload, "person_no"))
        employment = self._running_employment(context, person)
        if employment is None:
            raise NO_DISPATCH_EMPLOYMENT.refuse(field="id_number")
        asked_from = text(payload, "from_employer_no")
        if asked_from and asked_from != employment.dispatch_employer_no:
            raise FROM_EMPLOYER_MISMATCH.refuse(
                field="from_employer_no",
                current=f"{employment.dispatch_employer_no} {employment.dispatch_employer_name}",
            )
        if text(payload, "to_employer_no") == employment.dispatch_employer_no:
            raise SAME_EMPLOYER.refuse(field="to_employer_no")
        employer = self._new_employer(context, payload)
        if employment.contract_start is not None and transfer_date < employment.contract_start:
            raise INVALID_INPUT.refuse(
                field="transfer_date", message="调转日期不能早于劳动合同开始日期"
            )
        context.scratch.update(
            person=person, employment=employment, employer=employer, transfer_date=transfer_date
        )

    @staticmethod
    def _new_employer(ctx: BusinessContext, payload: dict[str, Any]) -> Unit:
        """The new actual employer: an insured unit other than the agency, by its 单位编号,
        with the 全称 it is registered under (decision, docs/decisions.md)."""
        assert ctx.unit is not None
        unit_no = text(payload, "to_employer_no")
        if unit_no == ctx.unit.unit_no:
            raise OWN_UNIT.refuse(field="to_employer_no")
        employer = ctx.session.scalars(
            select(Unit).where(
                Unit.sandbox_id == ctx.sandbox.id, Unit.unit_no == unit_no, Unit.status == "参保"
            )
        ).first()
        if employer is None:
            raise EMPLOYER_NOT_FOUND.refuse(field="to_employer_no", unit_no=unit_no)
        if not _same_name(text(payload, "to_employer_name"), employer.name):
            raise EMPLOYER_NAME_MISMATCH.refuse(
                field="to_employer_name", unit_no=unit_no, name=employer.name
            )
        return employer

    @staticmethod
    def _running_employment(ctx: BusinessContext, person: Person) -> Employment | None:
        """The person's dispatch employment at this agency (劳务派遣信息 recorded: an actual
        employer) that is not stopped and still insured.  The agency's own staff have none."""
        assert ctx.unit is not None
        running = {
            relation.employment_id
            for relation in common.active_relations(ctx, person)
            if relation.unit_id == ctx.unit.id and relation.employment_id is not None
        }
        if not running:
            return None
        return ctx.session.scalars(
            select(Employment)
            .where(
                Employment.id.in_(running),
                Employment.unit_id == ctx.unit.id,
                Employment.stopped_on.is_(None),
                Employment.dispatch_employer_no != "",
            )
            .order_by(Employment.id.desc())
        ).first()

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person: Person = context.scratch["person"]
        employment: Employment = context.scratch["employment"]
        transfer_date: date = context.scratch["transfer_date"]
        employer: Unit = context.scratch["employer"]
        old_no, old_name = employment.dispatch_employer_no, employment.dispatch_employer_name
        new_no, new_name = employer.unit_no or "", employer.name  # as registered
        employment.dispatch_employer_no = new_no
        employment.dispatch_employer_name = new_name
        continuing = context.session.scalars(
            select(InsuredRelation).where(
                InsuredRelation.employment_id == employment.id,
                InsuredRelation.status == "1",
                InsuredRelation.stop_month.is_(None),
            )
        ).all()
        context.note("actual employer changed; insurance continues without a gap",
                     behaviour_id="I8-1", from_employer=f"{old_no} {old_name}",
                     to_employer=f"{new_no} {new_name}",
                     transfer_date=transfer_date.isoformat())  # fmt: skip
        return ItemResult(
            message="调转成功，参保关系不中断",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "name": person.name,
                "id_number": person.id_number,
                "调转日期": transfer_date.isoformat(),
                "原用工单位编号": old_no,
                "原用工单位全称": old_name,
                "新用工单位编号": new_no,
                "新用工单位全称": new_name,
                "参保险种": sorted(r.insurance_code for r in continuing),
                "参保开始年月": sorted({r.start_month for r in continuing}),
            },
        )


def _same_name(given: str, registered: str) -> bool:
    """Whether a typed 单位全称 is the registered one: full-width and half-width forms
    (（） and ()) and spaces do not count."""

    def canonical(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).split())

    return canonical(given) == canonical(registered)


@hookimpl
def register_items() -> list[BusinessItem]:
    return [DispatchTransfer()]
