"""The provincial baseline (江苏省, whole province) — guide §一, parameters.md.

Declares the thirteen prefecture-level cities, the provincial parameters
(``parameters/*.yaml``: bases, rates, work-injury classes, calendar) and the two
rule variants of the guide's §一 table: the provincial platform (省一体化平台)
and, before a city's go-live date, the old system (原社保系统, PER-7).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from simulator import hookimpl
from simulator.cities import City
from simulator.errors import ErrorSpec
from simulator.identifiers import jiangsu_prefectures
from simulator.parameters import ParameterView
from simulator.periods import DeclarationCalendar
from simulator.variants import RuleVariant

PARAMETERS = Path(__file__).parent / "parameters"

OUTSIDE_PRE_PLATFORM_PERIOD = ErrorSpec(
    code="E_OUTSIDE_PERIOD_PRE_PLATFORM",
    message="当前不在申报期（原社保系统每月11日至月底申报）",
    remedy="请于每月11日至月底申报。",
    behaviour_id="PER-7",
)


@hookimpl
def register_cities() -> list[City]:
    return [City(code, name) for code, name in jiangsu_prefectures().items()]


@hookimpl
def register_parameters() -> list[Path]:
    return [PARAMETERS]


def provincial_platform(parameters: ParameterView) -> RuleVariant:
    """The right column of §一: 11th → next 6th, last year's average wage, 6 months back pay."""
    return RuleVariant(
        key="provincial-platform",
        label="省一体化平台",
        calendar=DeclarationCalendar(
            open_day=int(parameters.value("declaration.open_day")),
            close_day=int(parameters.value("declaration.close_day")),
            fee_month_offset=1,
            in_force_from=parameters.value("platform.go_live_date"),
        ),
        base_source="previous_year_average",
        backpay_max_months=int(parameters.value("backpay.max_months")),
        backpay_includes_current_month=False,
        backpay_path="用人单位用工参保登记",
    )


def pre_platform(parameters: ParameterView) -> RuleVariant:
    """The left column of §一 (PER-7): 11th → month end, last month's wage, back pay
    through its own module up to six months including the current month."""
    return RuleVariant(
        key="pre-platform",
        label="原社保系统",
        calendar=DeclarationCalendar(open_day=11, close_day=None, fee_month_offset=0),
        base_source="last_month_wage",
        backpay_max_months=int(parameters.value("backpay.max_months")),
        backpay_includes_current_month=True,
        backpay_path="专用补缴模块",
        closed_error=OUTSIDE_PRE_PLATFORM_PERIOD,
    )


@hookimpl(trylast=True)
def select_rule_variant(city: City, on_date: date, parameters: ParameterView) -> RuleVariant:
    go_live: date = parameters.value("platform.go_live_date")
    if on_date < go_live:
        return pre_platform(parameters)
    return provincial_platform(parameters)
