"""用人单位用工参保登记 (增员) — guide §三.3 and §五 问题三, FAQ 常见报错 1–7; I3-1 … I3-12.

For 企业职工, 个体工商户, 老工伤人员, 非全日制人员, 多重工伤人员 (I3-1).  The unit
enters the person's 证件号码 (the base record fills the rest), the labour
contract (用工备案信息) and the social-insurance facts (人员社保信息); an
HR-service agency also enters the dispatch facts (劳务派遣信息).  Insurance
starts in the contract's start month (PER-6) and back pay is generated for at
most six months before the current fee month (PER-4, PER-5).  Every documented
refusal comes from the person's data: see ``plugins/items/common.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.backpay import BackpayLine, BackpayPlan, generate_backpay, plan_backpay
from simulator.context import BusinessContext
from simulator.contributions import BaseDecision, BaseLimits, base_limits
from simulator.db.models import Employment, InsuredRelation, Person
from simulator.errors import INVALID_INPUT, ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.months import Month
from simulator.variants import RuleVariant
from simulator.workbooks import Column

NAME_MISMATCH = ErrorSpec(
    code="E_NAME_MISMATCH",
    message="姓名与人员基础信息不一致",
    remedy="请核对证件号码和姓名；人员信息有误的，请持证件至经办机构更正。",
    behaviour_id="I3-2",
    http_status=400,
)

SEPARATE_BACKPAY_NOTICE = {
    "code": "N_BACKPAY_SEPARATE_MODULE",
    "behaviour_id": "PER-7",
    "message": "原社保系统：补缴通过专用补缴模块申请，可申请包含当月六个月内的补缴",
    "remedy": "请在“补缴申请（原社保系统）”中申请补缴。",
}

HR_FIELDS = {
    "dispatch_type": "用工类型",
    "dispatch_employer_no": "用工单位编号",
    "dispatch_employer_name": "用工单位全称",
}
DEFAULT_IDENTITY = "101"  # 企业职工


@dataclass
class EnrolmentPlan:
    """What validation found, for apply."""

    person: Person
    identity: str
    insurance_codes: list[str]
    start: Month
    contract_start: date
    contract_end: date | None
    base: BaseDecision
    backpay: BackpayPlan


def insurance_for(identity: dict[str, Any], unit_insurance: Sequence[str]) -> list[str]:
    """The insurance types an identity implies at a unit (I3-1, I4-1)."""
    codes = identity["insurance_codes"]
    wanted = list(unit_insurance) if codes == "unit" else list(codes)
    return [code for code in wanted if code in unit_insurance] or list(wanted)


@dataclass
class EnrolmentRules:
    """The rules of I3 with what they read before they look at a row: the unit's facts
    and the parameters in force — today's code tables, identities and retirement ages,
    and the fee month's base floor and ceiling (PER-3).

    :meth:`read` reads them (so the business's trace lists them) once per business; a
    batch file reads them once for all its rows (``simulator.bulk``), and :meth:`check`
    is then only what depends on the row and the person.
    """

    unit_id: int
    unit_is_hr_agency: bool
    unit_insurance: tuple[str, ...]
    contract_reasons: dict[str, str]
    contract_types: dict[str, str]
    job_types: dict[str, str]
    identities: dict[str, Any]
    retirement_ages: dict[str, Any]
    fee_month: Month
    limits: BaseLimits
    variant: RuleVariant
    _plans: dict[int, BackpayPlan] = field(default_factory=dict)

    @classmethod
    def read(cls, ctx: BusinessContext, fee_month: Month | None = None) -> EnrolmentRules:
        unit = ctx.unit
        assert unit is not None  # the pipeline refuses a business without a unit
        if unit.status != "参保" or not unit.insurance_list():
            raise common.UNIT_NOT_INSURED.refuse()
        params = ctx.parameters()
        current = fee_month or ctx.fee_month
        return cls(
            unit_id=unit.id,
            unit_is_hr_agency=unit.is_hr_agency,
            unit_insurance=tuple(unit.insurance_list()),
            contract_reasons=params.value("codes.contract_reasons"),
            contract_types=params.value("codes.contract_types"),
            job_types=params.value("codes.job_types"),
            identities=params.children("identities"),
            retirement_ages=params.value("retirement.ages"),
            fee_month=current,
            limits=base_limits(ctx.parameters(current)),
            variant=ctx.variant,
        )

    def check(self, ctx: BusinessContext, payload: dict[str, Any]) -> EnrolmentPlan:
        """Every rule of I3 that depends on the row and the person, in the order the
        platform reports them (the first that fails is the refusal)."""
        common.require(
            payload,
            {
                "id_number": "证件号码",
                "contract_reason": "合同增加原因",
                "contract_start": "劳动合同开始日期",
                "job_type": "岗位工种",
            },
        )
        self._check_dispatch_fields(payload)
        id_number = common.check_id_number(payload)
        common.check_choice(payload, "contract_reason", "合同增加原因", self.contract_reasons)
        common.check_choice(payload, "contract_type", "合同类别", self.contract_types)
        common.check_choice(payload, "job_type", "岗位工种", self.job_types)
        contract_start = common.parse_date(payload, "contract_start", "劳动合同开始日期")
        contract_end = common.parse_date(payload, "contract_end", "劳动合同终止日期")
        assert contract_start is not None
        if contract_end is not None and contract_end < contract_start:
            raise INVALID_INPUT.refuse(
                field="contract_end", message="劳动合同终止日期不能早于开始日期"
            )
        declared = common.parse_money(payload, "base", "缴费基数")

        person = common.find_person(ctx, id_number, text(payload, "person_no"))
        name = text(payload, "name")
        if name and name != person.name:
            raise NAME_MISMATCH.refuse(field="name")
        identity = text(payload, "identity") or DEFAULT_IDENTITY
        identities = self.identities
        if identity not in identities or identities[identity]["item"] != EmploymentEnrolment.code:
            raise common.NO_FITTING_IDENTITY.refuse(field="identity")
        insurance_codes = insurance_for(identities[identity], self.unit_insurance)

        if not person.hukou_nature:
            raise common.HUKOU_NATURE_EMPTY.refuse(field="id_number")
        active = common.active_relations(ctx, person, all_records=True)
        if any(r.kind == "flexible" for r in active):
            raise common.FLEXIBLE_INSURED.refuse(field="id_number")
        if any(r.unit_id == self.unit_id for r in active):
            raise common.ALREADY_INSURED_HERE.refuse(field="id_number")
        self._check_identity_fits(ctx, person, payload, active, insurance_codes)
        if "110" in insurance_codes and any(
            r.insurance_code == "110" and r.unit_id != self.unit_id for r in active
        ):
            raise common.PENSION_ACTIVE_ELSEWHERE.refuse(field="id_number")

        start = Month.of(contract_start)
        current = self.fee_month
        if start > current:
            raise common.CONTRACT_NOT_STARTED.refuse(field="contract_start", fee_month=current)
        ctx.note("contribution start month = labour-contract start month", behaviour_id="PER-6",
                 start_month=str(start))  # fmt: skip
        backpay = self._plans.get(start.index)
        if backpay is None:
            backpay = self._plans[start.index] = plan_backpay(start, current, self.variant)
        if "210" in insurance_codes:
            paid = [m for m in common.benefit_months_after(ctx, person, start) if m <= str(current)]
            if paid:
                raise common.BENEFIT_PAID.refuse(field="contract_start")
        base = self.limits.clamp(declared if declared is not None else Decimal(0))
        if declared is None:
            ctx.note("no base declared: the floor applies", behaviour_id="PER-3")
        return EnrolmentPlan(
            person, identity, insurance_codes, start, contract_start, contract_end, base, backpay
        )

    def _check_dispatch_fields(self, payload: dict[str, Any]) -> None:
        """I3-11: only HR-service agencies enter dispatch facts, and they must."""
        filled = [key for key in HR_FIELDS if text(payload, key)]
        if not self.unit_is_hr_agency:
            if filled:
                raise common.HR_FIELDS_NOT_ALLOWED.refuse(field=filled[0])
            return
        missing = [
            label
            for key, label in HR_FIELDS.items()
            if key != "dispatch_type" and not text(payload, key)
        ]
        if missing:
            raise common.HR_FIELDS_REQUIRED.refuse(
                field="dispatch_employer_no", labels="、".join(missing)
            )

    def _check_identity_fits(
        self,
        ctx: BusinessContext,
        person: Person,
        payload: dict[str, Any],
        active: list[InsuredRelation],
        insurance_codes: list[str],
    ) -> None:
        """I3-6: past retirement age, drawing a pension, or still insured elsewhere for every type."""
        female_cadre = text(payload, "female_cadre") in ("1", "是", "Y", "y", "true")
        limit = common.retirement_limit(self.retirement_ages, person, female_cadre=female_cadre)
        if limit.reached(person.birth_date, ctx.today):
            age = common.age_on(person.birth_date, ctx.today)
            ctx.note(
                "past statutory retirement age", behaviour_id="I3-6", age=age, limit=str(limit)
            )
            raise common.NO_FITTING_IDENTITY.refuse(field="id_number")
        if person.draws_pension:
            ctx.note("draws a pension", behaviour_id="I3-6")
            raise common.NO_FITTING_IDENTITY.refuse(field="id_number")
        elsewhere = {r.insurance_code for r in active if r.unit_id is not None}
        if insurance_codes and set(insurance_codes) <= elsewhere:
            ctx.note("still insured at the former unit for every type", behaviour_id="I3-6")
            raise common.NO_FITTING_IDENTITY.refuse(field="id_number")


class EmploymentEnrolment(BusinessItem):
    code = "employment_enrolment"
    name = "用人单位用工参保登记"
    window_tabs = ("增员申报", "批量增员申报")
    guide_hint = (
        "提示：该业务只有符合 企业职工、个体工商户、老工伤人员、非全日制人员、多重工"
        "伤人员 可以办理。超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的。"
    )
    guide_section = "G §三.3"
    batch_columns = (
        Column("id_number", "证件号码", required=True),
        Column("person_no", "个人唯一识别码"),
        Column("name", "姓名"),
        Column("contract_reason", "合同增加原因", required=True),
        Column("contract_type", "合同类别"),
        Column("contract_start", "劳动合同开始日期", required=True),
        Column("contract_end", "劳动合同终止日期"),
        Column("job_type", "岗位工种", required=True),
        Column("identity", "参保身份"),
        Column("base", "缴费基数"),
        Column("pension_account_type", "养老账户类别"),
        Column("extended_payment", "延长缴费标志"),
        Column("female_cadre", "是否女干部"),
        Column("dispatch_type", "用工类型"),
        Column("dispatch_employer_no", "实际用工单位编号"),
        Column("dispatch_employer_name", "实际用工单位名称"),
    )
    batch_notes = (
        "带★的为必填项；日期格式为YYYY-MM-DD。",
        "合同增加原因：1 新签，3 续签；合同类别：41 固定期限，42 无固定期限，43 完成一定工作任务。",
        "非人力资源服务公司或者劳务派遣公司无需输入“用工类型”、“实际用工单位编号”、“实际用工单位名称”。",
        "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的。",
    )

    # -- the form (G §三.3) ---------------------------------------------------------------------
    def form(self, context: BusinessContext) -> list[FormField]:
        codes = context.parameters()
        identities = {
            code: spec
            for code, spec in codes.children("identities").items()
            if spec["item"] == self.code
        }
        basic = "人员基本信息"
        contract = "用工备案信息"
        social = "人员社保信息"
        fields = [
            FormField("id_number", "证件号码", True, "id_number", basic),
            FormField("person_no", "个人唯一识别码", False, "text", basic),
            FormField("name", "姓名", False, "text", basic, help="由证件号码带出"),
            FormField("contract_reason", "合同增加原因", True, "choice", contract,
                      common.choices(codes.value("codes.contract_reasons"))),
            FormField("contract_type", "合同类别", False, "choice", contract,
                      common.choices(codes.value("codes.contract_types"))),
            FormField("contract_start", "劳动合同开始日期", True, "date", contract),
            FormField("contract_end", "劳动合同终止日期", False, "date", contract),
            FormField("job_type", "岗位工种", True, "choice", contract,
                      common.choices(codes.value("codes.job_types"))),
            FormField("identity", "参保身份", False, "choice", social, common.choices(identities)),
            FormField("base", "缴费基数", False, "money", social),
            FormField("pension_account_type", "养老账户类别", False, "text", social),
            FormField("extended_payment", "延长缴费标志", False, "text", social),
            FormField("female_cadre", "是否女干部", False, "text", social),
        ]  # fmt: skip
        if context.unit is not None and context.unit.is_hr_agency:
            dispatch = "劳务派遣信息"
            fields += [
                FormField("dispatch_type", "用工类型", False, "choice", dispatch,
                          common.choices(codes.value("codes.dispatch_types"))),
                FormField("dispatch_employer_no", "用工单位编号", True, "text", dispatch),
                FormField("dispatch_employer_name", "用工单位全称", True, "text", dispatch),
            ]  # fmt: skip
        return fields

    # -- the rules ---------------------------------------------------------------------------------
    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        context.scratch["plan"] = self.check(context, payload)

    def check(
        self, ctx: BusinessContext, payload: dict[str, Any], *, fee_month: Month | None = None
    ) -> EnrolmentPlan:
        """Every rule of I3, for the current fee month (or ``fee_month``: 预登记 looks ahead)."""
        return EnrolmentRules.read(ctx, fee_month).check(ctx, payload)

    # -- the effects ---------------------------------------------------------------------------------
    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        plan: EnrolmentPlan = context.scratch.get("plan") or self.check(context, payload)
        return enrol(context, payload, plan)

    def bulk_batch(self, platform: Any) -> Any:
        """Batch files go the set-based way (``simulator.bulk``): same rules, same results."""
        from simulator.bulk import EnrolmentBulk

        return EnrolmentBulk.offer(self, platform)


def enrol(ctx: BusinessContext, payload: dict[str, Any], plan: EnrolmentPlan) -> ItemResult:
    """Employment, one relation per insurance type, and the back pay (shared with 预登记)."""
    employment = Employment(**employment_values(ctx, payload, plan))
    ctx.session.add(employment)
    ctx.session.flush()
    relations = []
    for code in plan.insurance_codes:
        relation = InsuredRelation(**relation_values(ctx, plan, code, employment.id))
        ctx.session.add(relation)
        relations.append(relation)
    ctx.session.flush()
    notices: list[dict[str, Any]] = []
    if ctx.variant.backpay_path == EmploymentEnrolment.name:
        lines = generate_backpay(ctx, relations, plan.backpay.online, plan.base.declared)
        notices += [n for n in [plan.backpay.notice()] if n]
    else:  # PER-7: the old system paid back through its own module
        lines = []
        if plan.start < plan.backpay.current:
            notices.append(SEPARATE_BACKPAY_NOTICE)
            ctx.note("back pay through its own path", behaviour_id="PER-7")
    return enrolment_result(plan, lines, notices)


def employment_values(
    ctx: BusinessContext, payload: dict[str, Any], plan: EnrolmentPlan
) -> dict[str, Any]:
    """The employment (用工) row of a registration (shared with the batch path)."""
    assert ctx.unit is not None
    return {
        "sandbox_id": ctx.sandbox.id,
        "person_id": plan.person.id,
        "unit_id": ctx.unit.id,
        "identity": plan.identity,
        "contract_reason": text(payload, "contract_reason"),
        "contract_type": text(payload, "contract_type"),
        "contract_start": plan.contract_start,
        "contract_end": plan.contract_end,
        "job_type": text(payload, "job_type"),
        "dispatch_type": text(payload, "dispatch_type"),
        "dispatch_employer_no": text(payload, "dispatch_employer_no"),
        "dispatch_employer_name": text(payload, "dispatch_employer_name"),
        "start_month": str(plan.start),
    }


def relation_values(
    ctx: BusinessContext, plan: EnrolmentPlan, code: str, employment_id: int | None
) -> dict[str, Any]:
    """The relation (参保关系) of one insurance type (shared with the batch path)."""
    assert ctx.unit is not None
    return {
        "sandbox_id": ctx.sandbox.id,
        "person_id": plan.person.id,
        "unit_id": ctx.unit.id,
        "employment_id": employment_id,
        "insurance_code": code,
        "identity": plan.identity,
        "kind": "employee",
        "start_month": str(plan.start),
        "status": "1",
        "declared_base": plan.base.declared,
        "base": plan.base.effective,
    }


def enrolment_result(
    plan: EnrolmentPlan, lines: list[BackpayLine], notices: list[dict[str, Any]]
) -> ItemResult:
    """What a registration reports (shared with the batch path)."""
    return ItemResult(
        message="办理成功",
        person_id=plan.person.id,
        notices=notices,
        data={
            "person_no": plan.person.person_no,
            "name": plan.person.name,
            "id_number": plan.person.id_number,
            "identity": plan.identity,
            "start_month": str(plan.start),
            "insurance_codes": plan.insurance_codes,
            "declared_base": str(plan.base.declared),
            "base": str(plan.base.effective),
            "base_adjustment": plan.base.adjustment,
            "补缴明细": [line.as_dict() for line in lines],
            "counter_backpay_months": [str(m) for m in plan.backpay.counter],
        },
    )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [EmploymentEnrolment()]
