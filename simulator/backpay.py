"""Back pay (补缴): which months, at which base, for how much — PER-4, PER-5, PER-6, PER-7.

用人单位用工参保登记 generates back pay automatically from the labour-contract
start month (PER-6), for at most six months not counting the current fee month
(PER-4, G §一.3, §三.3).  Older months are not generated online: the business
still succeeds and lists them with the counter remedy (PER-5).  Under the old
system's rules (PER-7) the six-month window included the current month.

Each back-pay month is clamped and priced with the parameters in force in that
month (PER-3, PER-8) — from 2021-10 a level 1–4 work-injury employee's pension
months at their disability allowance instead (F-3), as monthly settlement does; the lines shown to the unit group consecutive months of
one insurance type with the same base (险种, 起止年月, 补缴月数, 月基数,
单位缴费金额, 个人缴费金额, 合计, 补退流水号).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.context import BusinessContext
from simulator.contributions import clamp_base, disability_base, monthly_contribution
from simulator.db.models import ContributionLine, InsuredRelation, Person
from simulator.months import Month, month_range
from simulator.variants import RuleVariant

COUNTER_BACKPAY_NOTICE = "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的"


@dataclass(frozen=True)
class BackpayPlan:
    """The months before the current fee month that a registration covers."""

    start: Month
    current: Month
    online: tuple[Month, ...]  # generated now
    counter: tuple[Month, ...]  # too old: only at the counter (PER-5)

    def notice(self) -> dict[str, Any] | None:
        if not self.counter:
            return None
        return {
            "code": "N_BACKPAY_COUNTER",
            "behaviour_id": "PER-5",
            "message": COUNTER_BACKPAY_NOTICE,
            "months": [str(m) for m in self.counter],
            "remedy": "请携带相关材料至经办机构（柜台）申请超过六个月部分的补缴。",
        }


def plan_backpay(start: Month, current: Month, variant: RuleVariant) -> BackpayPlan:
    """PER-4/PER-5 (and PER-7): split the months start … current-1 into online and counter."""
    before_current = month_range(start, current.plus(-1))
    window = variant.backpay_max_months - (1 if variant.backpay_includes_current_month else 0)
    window = max(window, 0)
    online = before_current[-window:] if window else []
    counter = before_current[: len(before_current) - len(online)]
    return BackpayPlan(start, current, tuple(online), tuple(counter))


@dataclass
class BackpayLine:
    insurance_code: str
    first: Month
    last: Month
    months: int
    base: Decimal
    unit_amount: Decimal
    personal_amount: Decimal
    serial_no: str
    month_rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "险种": self.insurance_code,
            "起止年月": f"{self.first.compact()}-{self.last.compact()}",
            "补缴月数": self.months,
            "月基数": str(self.base),
            "单位缴费金额": str(self.unit_amount),
            "个人缴费金额": str(self.personal_amount),
            "合计": str(self.unit_amount + self.personal_amount),
            "补退流水号": self.serial_no,
        }


def note_allowance_months(ctx: BusinessContext, months: list[str]) -> None:
    """Trace the back-pay months of one type priced at the disability allowance (F-3)."""
    if months:
        ctx.note(
            "level 1–4 work injury: pension base = disability allowance",
            behaviour_id="F-3",
            months=len(months),
            first=months[0],
        )


def generate_backpay(
    ctx: BusinessContext,
    relations: list[InsuredRelation],
    months: tuple[Month, ...],
    declared_base: Decimal,
) -> list[BackpayLine]:
    """Contribution lines (kind ``backpay``) for each relation and month; returns the grouped lines."""
    unit = ctx.unit
    industry_class = (unit.industry_class if unit else None) or 1
    tier = unit.floating_tier if unit else None
    lines: list[BackpayLine] = []
    for relation in relations:
        current: BackpayLine | None = None
        person = ctx.session.get(Person, relation.person_id)
        allowance_months: list[str] = []
        for month in months:
            params = ctx.parameters(month)
            base = clamp_base(declared_base, params).effective
            allowance = disability_base(person, relation.insurance_code, str(month))
            if allowance is not None:  # F-3
                base = allowance
                allowance_months.append(str(month))
            amount = monthly_contribution(
                relation.insurance_code,
                base,
                params,
                industry_class=industry_class,
                floating_tier=tier,
            )
            if current is None or current.base != base or current.last.plus(1) != month:
                serial = f"BT{ctx.today:%Y%m%d}{ctx.next_number('backpay'):06d}"
                current = BackpayLine(
                    relation.insurance_code, month, month, 0, base, Decimal(0), Decimal(0), serial
                )
                lines.append(current)
            current.last = month
            current.months += 1
            current.unit_amount += amount.unit_amount
            current.personal_amount += amount.personal_amount
            ctx.session.add(
                ContributionLine(
                    sandbox_id=ctx.sandbox.id,
                    person_id=relation.person_id,
                    unit_id=relation.unit_id,
                    relation_id=relation.id,
                    insurance_code=relation.insurance_code,
                    fee_month=str(month),
                    base=base,
                    unit_amount=amount.unit_amount,
                    personal_amount=amount.personal_amount,
                    kind="backpay",
                    serial_no=current.serial_no,
                    business_id=ctx.business.id if ctx.business else None,
                )
            )
        note_allowance_months(ctx, allowance_months)
    if lines:
        ctx.note(
            "back pay generated",
            behaviour_id="PER-4",
            months=len(months),
            first=str(months[0]) if months else "",
            last=str(months[-1]) if months else "",
        )
    return lines
