"""Rules shared by the items that register a person with a unit (G §三.3, §三.4, §三.10, §五).

Finding the person's base record (I3-4, I3-7), the checks on the person's
situation that the FAQ's error list describes (I3-5, I3-6, I3-8, I3-9, I3-10),
reading form fields, and the errors with their exact texts and remedies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from simulator.context import BusinessContext
from simulator.contributions import CENT
from simulator.db.models import BenefitPayment, InsuredRelation, Person
from simulator.errors import INVALID_INPUT, REQUIRED_FIELD, ErrorSpec
from simulator.identifiers import InvalidIdentifier, parse_resident_id
from simulator.items import Choice
from simulator.months import Month

# --- the documented errors (F = the FAQ, G = the guide) -------------------------------------

NO_BASE_RECORD = ErrorSpec(
    code="E_NO_BASE_RECORD",
    message="未获取到人员基本信息",
    remedy=(
        "该人员在我省不存在基础信息的，需要在“单位办事”—“社会保险”—“人员基础信息采集”中"
        "下载相应的模板，填写需要导入的人员信息后上传申报。进行信息采集后再进行单位用工参保登记"
    ),
    behaviour_id="I3-4",
)
PENSION_ACTIVE_ELSEWHERE = ErrorSpec(
    code="E_PENSION_ACTIVE",
    message="养老已参保，不能再办理参保",
    remedy="请单位通知员工核实是否原单位未停保。",
    behaviour_id="I3-5",
)
NO_FITTING_IDENTITY = ErrorSpec(
    code="E_NO_IDENTITY",
    message="没有符合该人员的参保身份",
    remedy=(
        "请单位通知员工核实是否原单位未停保。已超过法定退休年龄或已领取养老待遇的人员，"
        "请通过“人员参保登记”以超龄工伤身份参加工伤保险。"
    ),
    behaviour_id="I3-6",
)
SEVERAL_RECORDS = ErrorSpec(
    code="E_SEVERAL_RECORDS",
    message="根据身份证号码找到多条人员信息，无法办理此业务",
    remedy="可以选择其中一条申报（填写个人唯一识别码），如还不行，建议柜台处理。",
    behaviour_id="I3-7",
)
BENEFIT_PAID = ErrorSpec(
    code="E_UNEMPLOYMENT_BENEFIT",
    message="自参保开始日期下一月起，存在失业金发放信息",
    remedy="请通知员工至区镇社保经办机构将补缴期间失业金退回后单位再申请补缴。",
    behaviour_id="I3-8",
)
FLEXIBLE_INSURED = ErrorSpec(
    code="E_FLEX_INSURED",
    message="该人员为灵活就业参保人员",
    remedy=(
        "如果有灵活就业人员转至本单位参保，需要该人员通过网办大厅或江苏智慧人社APP，"
        "在“个人办事”—“社会保险”—“社会保险登记”—“灵活就业人员停保登记”中先办理灵活就业人员"
        "停保业务（也可通过经办窗口办理灵活就业人员停保业务）。"
    ),
    behaviour_id="I3-9",
)
HUKOU_NATURE_EMPTY = ErrorSpec(
    code="E_HUKOU_NATURE_EMPTY",
    message="户籍性质为空",
    remedy=(
        "个人注册，在网办大厅-个人账号界面或者江苏智慧人社APP登陆后，点击右上角自己的姓名处，"
        "选择个人中心去维护户籍性质。或者员工持个人身份证或户口本至企业所在区镇社保经办机构窗口办理。"
    ),
    behaviour_id="I3-10",
)
HR_FIELDS_NOT_ALLOWED = ErrorSpec(
    code="E_HR_FIELDS_NOT_ALLOWED",
    message="只有人力资源服务单位才能输入人力资源服务信息",
    remedy=(
        "批量用工参保模板中，非人力资源服务公司或者劳务派遣公司无需输入“用工类型”、"
        "“实际用工单位编号”、“实际用工单位名称”此三项内容。"
    ),
    behaviour_id="I3-11",
)
HR_FIELDS_REQUIRED = ErrorSpec(
    code="E_HR_FIELDS_REQUIRED",
    message="人力资源服务机构办理参保时须填写劳务派遣信息：{labels}",
    remedy="人力资源服务机构与实际用人单位之间的劳务派遣及人事代理用工，请填写用工类型、用工单位编号和用工单位全称。",
    behaviour_id="I3-11",
    http_status=400,
)
ALREADY_INSURED_HERE = ErrorSpec(
    code="E_ALREADY_INSURED_HERE",
    message="该人员已在本单位参保，不能重复办理",
    remedy="如需变更，请先办理用人单位退工停保登记；误办的业务可在同一申报期内通过人员变更回退撤销。",
    behaviour_id="I3-5",
)
CONTRACT_NOT_STARTED = ErrorSpec(
    code="E_CONTRACT_NOT_STARTED",
    message="劳动合同开始日期晚于当前费款所属期（{fee_month}），请在合同开始后的申报期办理",
    remedy="劳动合同开始后，在对应的申报期（每月11日至次月6日）办理用工参保登记。",
    behaviour_id="PER-6",
    http_status=400,
)
START_NOT_REACHED = ErrorSpec(
    code="E_START_NOT_REACHED",
    message="参保开始时间晚于当前费款所属期（{fee_month}），请在参保开始后的申报期办理",
    remedy="参保开始后，在对应的申报期（每月11日至次月6日）办理人员参保登记。",
    behaviour_id="I4-3",
    http_status=400,
)
UNIT_NOT_INSURED = ErrorSpec(
    code="E_UNIT_NOT_INSURED",
    message="本单位尚未办理企业社会保险信息登记",
    remedy="首次参保的用人单位请先办理“企业社会保险信息登记”。",
    behaviour_id="I1-1",
)


# --- reading form fields ----------------------------------------------------------------------


def text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return "" if value is None else str(value).strip()


def require(payload: dict[str, Any], fields: dict[str, str]) -> None:
    """Refuse the first missing required field (★), naming it."""
    for key, label in fields.items():
        if not text(payload, key):
            raise REQUIRED_FIELD.refuse(field=key, label=label)


def parse_date(payload: dict[str, Any], key: str, label: str) -> date | None:
    value = text(payload, key)
    if not value:
        return None
    candidate = value[:10]
    if len(value) == 8 and value.isdigit():
        candidate = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    try:
        return date.fromisoformat(candidate)
    except ValueError:
        raise INVALID_INPUT.refuse(
            field=key, message=f"{label}格式不正确，应为YYYY-MM-DD：{value}"
        ) from None


def parse_money(payload: dict[str, Any], key: str, label: str) -> Decimal | None:
    """An amount in yuan (at most two decimals; ``1,000`` reads as 1000), or ``None`` if empty."""
    value = text(payload, key)
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise INVALID_INPUT.refuse(field=key, message=f"{label}应为金额：{value}") from None
    if not amount.is_finite():
        raise INVALID_INPUT.refuse(field=key, message=f"{label}应为金额：{value}")
    if amount < 0:
        raise INVALID_INPUT.refuse(field=key, message=f"{label}不能为负数：{value}")
    if amount != amount.quantize(CENT):  # money is in yuan to the fen (PER-8)
        raise INVALID_INPUT.refuse(field=key, message=f"{label}最多保留两位小数：{value}")
    return amount.quantize(CENT) if amount.as_tuple().exponent < -2 else amount  # type: ignore[operator]


def check_id_number(payload: dict[str, Any], key: str = "id_number") -> str:
    """A valid 公民身份号码 (GB 11643 check digit and a real birth date)."""
    number = text(payload, key).upper()
    try:
        return parse_resident_id(number).number
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field=key, message=error.reason) from None


def check_choice(
    payload: dict[str, Any], key: str, label: str, table: dict[str, str]
) -> str | None:
    """A code from a code table; the label (e.g. 新签) is accepted for the code too."""
    value = text(payload, key)
    if not value:
        return None
    if value in table:
        return value
    for code, name in table.items():
        if name == value or f"{code} {name}" == value or f"{code}{name}" == value:
            return code
    raise INVALID_INPUT.refuse(field=key, message=f"{label}取值不正确：{value}")


def choices(table: dict[str, Any]) -> tuple[Choice, ...]:
    return tuple(
        Choice(code, value["label"] if isinstance(value, dict) else str(value))
        for code, value in table.items()
    )


# --- the person's situation -----------------------------------------------------------------


def find_person(ctx: BusinessContext, id_number: str, person_no: str = "") -> Person:
    """The base record for an ID number (I3-4), or the chosen one among several (I3-7)."""
    facts = getattr(ctx, "facts", None)
    if facts is not None:  # preloaded for a whole batch file (simulator.bulk)
        records = facts.people_with_id_number(id_number)
    else:
        records = ctx.session.scalars(
            select(Person)
            .where(Person.sandbox_id == ctx.sandbox.id, Person.id_number == id_number)
            .order_by(Person.id)
        ).all()
    if not records:
        raise NO_BASE_RECORD.refuse(field="id_number")
    if person_no:
        chosen = [p for p in records if p.person_no == person_no]
        if not chosen:
            raise (SEVERAL_RECORDS if len(records) > 1 else NO_BASE_RECORD).refuse(
                field="person_no"
            )
        ctx.note("person record chosen by 个人唯一识别码", behaviour_id="I3-7", person_no=person_no)
        return chosen[0]
    if len(records) > 1:
        raise SEVERAL_RECORDS.refuse(field="id_number")
    return records[0]


def active_relations(
    ctx: BusinessContext, person: Person, *, all_records: bool = False
) -> list[InsuredRelation]:
    """Relations still running (参保缴费, no stop month) — at any unit, or flexible.

    Work injury bought per construction project (kind ``project``, I9-1) is insurance of
    the project, not of an employment: it never blocks a person's registration.
    ``all_records``: those of every base record with the person's ID number — one human
    being, however many records (I3-7): choosing the other record must not insure them
    twice (I3-5, I3-6, I3-9).
    """
    facts = getattr(ctx, "facts", None)
    if facts is not None:
        return facts.active_relations(person, all_records=all_records)
    whose = (
        InsuredRelation.person_id.in_(
            select(Person.id).where(
                Person.sandbox_id == ctx.sandbox.id, Person.id_number == person.id_number
            )
        )
        if all_records
        else InsuredRelation.person_id == person.id
    )
    return list(
        ctx.session.scalars(
            select(InsuredRelation)
            .where(
                InsuredRelation.sandbox_id == ctx.sandbox.id,
                whose,
                InsuredRelation.status == "1",
                InsuredRelation.stop_month.is_(None),
                InsuredRelation.kind != "project",
            )
            .order_by(InsuredRelation.id)
        )
    )


def retirement_age(ctx: BusinessContext, person: Person, *, female_cadre: bool) -> RetirementAge:
    return retirement_limit(
        ctx.parameters().value("retirement.ages"), person, female_cadre=female_cadre
    )


@dataclass(frozen=True)
class RetirementAge:
    """A statutory retirement age: whole years and, after the 2025 reform, extra months."""

    years: int
    months: int = 0

    def reached(self, birth: date, day: date) -> bool:
        """Whether someone born on ``birth`` has reached this age on ``day``."""
        return _months_later(birth, self.years * 12 + self.months) <= day

    def __str__(self) -> str:
        return f"{self.years}岁{self.months}个月" if self.months else f"{self.years}岁"


def retirement_limit(ages: dict[str, Any], person: Any, *, female_cadre: bool) -> RetirementAge:
    """The statutory retirement age of a person, from the ``retirement.ages`` table.

    An entry is a number of years, or a gradual rise by birth month (the 2025 reform,
    渐进式延迟法定退休年龄): ``{age, from_birth: "YYYY-MM", every_birth_months, until}``
    — people born in the ``from_birth`` month and the ``every_birth_months - 1`` after it
    retire one month later than ``age``, the next group two months later, and so on up to
    ``until`` years.
    """
    if person.gender == "男":
        entry = ages["male"]
    else:
        entry = ages["female_cadre" if female_cadre else "female_worker"]
    if not isinstance(entry, dict):
        return RetirementAge(int(entry))
    base = int(entry["age"]) * 12
    first = Month.parse(str(entry["from_birth"]))
    born = Month.of(person.birth_date)
    steps = 0
    if not born < first:
        steps = born.minus(first) // int(entry["every_birth_months"]) + 1
    total = min(base + steps, int(entry["until"]) * 12)
    return RetirementAge(total // 12, total % 12)


def _months_later(day: date, months: int) -> date:
    month = Month.of(day).plus(months)
    try:
        return day.replace(year=month.year, month=month.month)
    except ValueError:  # born on a 29th–31st the month lacks: reached on the next month's 1st,
        return month.plus(1).first_day()  # as age_on counts a 29 February birthday


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def benefit_months_after(ctx: BusinessContext, person: Person, start: Month) -> list[str]:
    """Unemployment benefit months after the start month that were not returned (I3-8)."""
    facts = getattr(ctx, "facts", None)
    if facts is not None:
        return facts.benefit_months_after(person, start)
    rows = ctx.session.scalars(
        select(BenefitPayment.month).where(
            BenefitPayment.sandbox_id == ctx.sandbox.id,
            BenefitPayment.person_id == person.id,
            BenefitPayment.month > str(start),
            BenefitPayment.returned_on.is_(None),
        )
    ).all()
    return sorted(rows)
