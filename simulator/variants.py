"""Rule variants: the set of calendar, base and back-pay rules in force.

The guide's §一 table contrasts the old system (原社保系统) with the provincial
platform (省一体化平台).  A :class:`RuleVariant` states one column of that table
as data; plugins choose the variant in force for a city on a date through the
``select_rule_variant`` hook (PER-7), so history and what-if comparison work.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import PAUSED_PERIOD, ErrorSpec
from simulator.periods import DeclarationCalendar


@dataclass(frozen=True)
class RuleVariant:
    """One column of the guide's §一 table."""

    key: str
    label: str
    calendar: DeclarationCalendar
    #: 'previous_year_average' (上一自然年度月平均工资) or 'last_month_wage' (上月工资)
    base_source: str
    #: how many months of back pay can be generated online
    backpay_max_months: int
    #: whether the current fee month counts inside those months
    backpay_includes_current_month: bool
    #: the business path that generates back pay
    backpay_path: str
    #: business items that may be declared on paused days (PER-2)
    #: the refusal of a business that changes insurance outside the period (PER-2)
    closed_error: ErrorSpec = PAUSED_PERIOD

    def describe(self) -> dict[str, object]:
        close = self.calendar.close_day
        return {
            "key": self.key,
            "label": self.label,
            "declaration": (
                f"每月{self.calendar.open_day}日至"
                + (f"次月{close}日" if close is not None else "月底最后一天")
            ),
            "base_source": self.base_source,
            "backpay_max_months": self.backpay_max_months,
            "backpay_includes_current_month": self.backpay_includes_current_month,
            "backpay_path": self.backpay_path,
        }
