"""人员参保登记 — guide §三.4; I4-1, I4-2, I4-3.

For 公务员/参公, 事业编制职工, 待安置军人, 宗教教职人员, 协保/内退人员, 乡村医生,
超龄工伤 — and 新业态工伤 where a city adds it (常州, I4-1).  The insurance
types follow from the 参保身份 (I4-2, parameter ``identities``); 参保开始时间 and
缴费基数 are required (I4-3).  Back pay follows the same rule as
用人单位用工参保登记 (PER-4, PER-5): the guide's screen shows the same 补缴明细.
"""

from __future__ import annotations

from typing import Any

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.backpay import generate_backpay, plan_backpay
from simulator.context import BusinessContext
from simulator.contributions import clamp_base
from simulator.db.models import InsuredRelation
from simulator.errors import INVALID_INPUT, ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.months import Month
from simulator.workbooks import Column

OVER_AGE_IDENTITY = "207"  # 超龄工伤

NOT_OVER_AGE = ErrorSpec(
    code="E_NOT_OVER_AGE",
    message="该人员未达到法定退休年龄，不能以超龄工伤身份参保",
    remedy="未达到法定退休年龄的职工，请通过“用人单位用工参保登记”办理。",
    behaviour_id="I4-1",
)
IDENTITY_NOT_OFFERED = ErrorSpec(
    code="E_IDENTITY_NOT_OFFERED",
    message="没有符合该人员的参保身份",
    remedy=(
        "人员参保登记仅适用于公务员/参公、事业编制职工、待安置军人、宗教教职人员、协保/内退人员、"
        "乡村医生、超龄工伤、新业态工伤（常州）人员；企业职工请通过“用人单位用工参保登记”办理。"
    ),
    behaviour_id="I4-1",
)


class PersonEnrolment(BusinessItem):
    code = "person_enrolment"
    name = "人员参保登记"
    window_tabs = ("人员参保登记申报", "批量增员申报")
    guide_hint = (
        "提示：该业务只有符合 公务员/参公、事业编制职工、待安置军人、宗教教职人员、"
        "协保/内退人员、乡村医生、超龄工伤、新业态工伤（常州）人员可以办理。"
    )
    guide_section = "G §三.4"
    batch_columns = (
        Column("id_number", "证件号码", required=True),
        Column("person_no", "个人唯一识别码"),
        Column("name", "姓名"),
        Column("identity", "参保身份", required=True),
        Column("base", "缴费基数", required=True),
        Column("start_month", "参保开始时间", required=True),
        Column("pension_account_type", "养老账户类别"),
    )
    batch_notes = ("带★的为必填项；参保开始时间格式为YYYY-MM。",)

    @staticmethod
    def identities(context: BusinessContext) -> dict[str, Any]:
        """The 参保身份 this item offers in the context's city (a city may add some)."""
        table = context.parameters().children("identities")
        return {code: spec for code, spec in table.items() if spec["item"] == "person_enrolment"}

    def form(self, context: BusinessContext) -> list[FormField]:
        basic, social = "人员基本信息", "人员社保信息"
        return [
            FormField("id_number", "证件号码", True, "id_number", basic),
            FormField("person_no", "个人唯一识别码", False, "text", basic),
            FormField("name", "姓名", False, "text", basic, help="由证件号码带出"),
            FormField("identity", "参保身份", True, "choice", social,
                      common.choices(self.identities(context))),
            FormField("base", "缴费基数", True, "money", social),
            FormField("start_month", "参保开始时间", True, "month", social),
            FormField("pension_account_type", "养老账户类别", False, "text", social),
        ]  # fmt: skip

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        ctx = context
        unit = ctx.unit
        assert unit is not None
        if unit.status != "参保" or not unit.insurance_list():
            raise common.UNIT_NOT_INSURED.refuse()
        common.require(
            payload,
            {
                "id_number": "证件号码",
                "identity": "参保身份",
                "base": "缴费基数",
                "start_month": "参保开始时间",
            },
        )
        id_number = common.check_id_number(payload)
        try:
            start = Month.parse(text(payload, "start_month")[:7])
        except ValueError:
            raise INVALID_INPUT.refuse(
                field="start_month", message="参保开始时间格式不正确，应为YYYY-MM"
            ) from None
        declared = common.parse_money(payload, "base", "缴费基数")
        offered = self.identities(ctx)
        identity = text(payload, "identity")
        if identity not in offered:
            raise IDENTITY_NOT_OFFERED.refuse(field="identity")
        person = common.find_person(ctx, id_number, text(payload, "person_no"))
        if not person.hukou_nature:
            raise common.HUKOU_NATURE_EMPTY.refuse(field="id_number")
        active = common.active_relations(ctx, person, all_records=True)
        if any(r.kind == "flexible" for r in active):
            raise common.FLEXIBLE_INSURED.refuse(field="id_number")
        implied = list(offered[identity]["insurance_codes"])
        codes = [code for code in implied if code in unit.insurance_list()]
        if not codes:
            raise IDENTITY_NOT_OFFERED.refuse(field="identity")
        over_age = common.retirement_age(ctx, person, female_cadre=False).reached(
            person.birth_date, ctx.today
        )
        if identity == OVER_AGE_IDENTITY and not over_age:
            raise NOT_OVER_AGE.refuse(field="identity")
        if identity != OVER_AGE_IDENTITY and (over_age or person.draws_pension) and "110" in codes:
            raise common.NO_FITTING_IDENTITY.refuse(field="identity")
        here = {r.insurance_code for r in active if r.unit_id == unit.id}
        if set(codes) & here:
            raise common.ALREADY_INSURED_HERE.refuse(field="id_number")
        elsewhere = {r.insurance_code for r in active if r.unit_id not in (None, unit.id)}
        if "110" in codes and "110" in elsewhere:
            raise common.PENSION_ACTIVE_ELSEWHERE.refuse(field="id_number")
        current = ctx.fee_month
        if start > current:
            raise common.START_NOT_REACHED.refuse(field="start_month", fee_month=current)
        ctx.note("insurance types follow from 参保身份", behaviour_id="I4-2",
                 identity=identity, insurance=",".join(codes))  # fmt: skip
        ctx.scratch.update(
            person=person,
            identity=identity,
            codes=codes,
            start=start,
            base=clamp_base(declared, ctx.parameters(current)),  # type: ignore[arg-type]
            backpay=plan_backpay(start, current, ctx.variant),
        )

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        s = context.scratch
        relations = []
        for code in s["codes"]:
            relation = InsuredRelation(
                sandbox_id=context.sandbox.id,
                person_id=s["person"].id,
                unit_id=context.unit.id,  # type: ignore[union-attr]
                insurance_code=code,
                identity=s["identity"],
                kind="employee",
                start_month=str(s["start"]),
                status="1",
                declared_base=s["base"].declared,
                base=s["base"].effective,
            )
            context.session.add(relation)
            relations.append(relation)
        context.session.flush()
        lines = generate_backpay(context, relations, s["backpay"].online, s["base"].declared)
        return ItemResult(
            person_id=s["person"].id,
            notices=[n for n in [s["backpay"].notice()] if n],
            data={
                "person_no": s["person"].person_no,
                "name": s["person"].name,
                "identity": s["identity"],
                "insurance_codes": s["codes"],
                "start_month": str(s["start"]),
                "declared_base": str(s["base"].declared),
                "base": str(s["base"].effective),
                "base_adjustment": s["base"].adjustment,
                "补缴明细": [line.as_dict() for line in lines],
            },
        )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [PersonEnrolment()]
