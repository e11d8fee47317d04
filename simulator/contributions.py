"""Contribution money rules: base clamping (PER-3) and per-month amounts (PER-8).

Business concept: the contribution base (缴费基数) a unit declares for a person is
clamped to the floor and ceiling in force (封顶保底, guide G §一.2, PER-3); each
insurance type's monthly amount is base × rate, unit and individual apart, in
``Decimal`` and rounded half-up to the fen (PER-8).  The floor, ceiling and
rates are date-versioned parameters (``simulator.parameters``), read through a
:class:`~simulator.parameters.ParameterView` so that every value used lands in
the business trace.  Medical (310) and maternity (510) are not on this
platform (F Q3).  From 2021-10 a level 1–4 work-injury employee's pension base is
their disability allowance instead (F-3, F Q4: :func:`disability_base`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.errors import ErrorSpec
from simulator.parameters import ParameterView

MEDICAL_ELSEWHERE = ErrorSpec(
    code="E_MEDICAL_PLATFORM",
    message="医疗、生育保险在医保信息平台办理",
    remedy="养老、工伤、失业三个险种在省一体化信息平台办理；医疗、生育保险请到医保信息平台办理。",
    behaviour_id="F-2",
)

#: 险种 codes of the medical-insurance platform: 医疗 310, 生育 510 (F-2)
MEDICAL_PLATFORM_CODES = ("310", "510")


def refuse_medical_platform(insurance_code: str | None, *, field: str = "insurance_code") -> None:
    """F-2: asking for 医疗 or 生育 insurance answers that they are on the medical platform."""
    if insurance_code in MEDICAL_PLATFORM_CODES:
        raise MEDICAL_ELSEWHERE.refuse(field=field)


__all__ = [
    "CENT",
    "INSURANCE_TYPES_PATH",
    "WORK_INJURY_CLASS_RATES_PATH",
    "WORK_INJURY_FLOATING_TIERS_PATH",
    "BaseDecision",
    "BaseLimits",
    "InsuranceNotHandled",
    "MonthlyContribution",
    "base_limits",
    "clamp_base",
    "monthly_contribution",
    "round_money",
    "work_injury_rate",
]

CENT = Decimal("0.01")

FLOOR_PATH = "contribution_base.floor"
CEILING_PATH = "contribution_base.ceiling"
INSURANCE_TYPES_PATH = "insurance_types"
WORK_INJURY_CLASS_RATES_PATH = "work_injury.class_rates"
WORK_INJURY_FLOATING_TIERS_PATH = "work_injury.floating_tiers"

#: ``unit_rate_rule`` of an insurance type whose unit rate is class rate × tier
INDUSTRY_CLASS_RULE = "industry_class"

#: the platform's own words for medical and maternity insurance (F Q3)
MEDICAL_PLATFORM_MESSAGE = "医疗、生育保险在医保信息平台办理"

RAISED_TO_FLOOR = "保底"
CUT_TO_CEILING = "封顶"


class InsuranceNotHandled(ValueError):
    """An insurance type this platform does not compute (310/510, unknown codes)."""


def _decimal(amount: Any, name: str) -> Decimal:
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, bool | float):
        # a float has already lost the fen; money comes in as Decimal, int or text
        raise TypeError(f"{name} must be a Decimal, int or str, not {type(amount).__name__}")
    return Decimal(str(amount))


def round_money(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to 0.01 yuan (PER-8): 24.3975 → 24.40, 0.005 → 0.01."""
    return _decimal(amount, "amount").quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BaseDecision:
    """The declared base and the base that counts after 封顶保底 (PER-3)."""

    declared: Decimal
    effective: Decimal
    floor: Decimal
    ceiling: Decimal
    adjustment: str | None  # None, '保底' (raised to floor) or '封顶' (cut to ceiling)

    @property
    def adjusted(self) -> bool:
        return self.adjustment is not None


@dataclass(frozen=True)
class BaseLimits:
    """The contribution base floor and ceiling in force on a day (PER-3)."""

    floor: Decimal
    ceiling: Decimal

    def clamp(self, declared: Decimal) -> BaseDecision:
        """PER-3 封顶保底: a declared base clamped to the floor and ceiling; a base
        exactly on the floor or ceiling is kept as is."""
        declared = _decimal(declared, "declared")
        if declared < 0:
            raise ValueError(f"a contribution base cannot be negative: {declared}")
        if declared < self.floor:
            return BaseDecision(declared, self.floor, self.floor, self.ceiling, RAISED_TO_FLOOR)
        if declared > self.ceiling:
            return BaseDecision(declared, self.ceiling, self.floor, self.ceiling, CUT_TO_CEILING)
        return BaseDecision(declared, declared, self.floor, self.ceiling, None)


def base_limits(params: ParameterView) -> BaseLimits:
    """The floor and ceiling in force on ``params.on_date`` (both read, so both traced)."""
    floor = _decimal(params.value(FLOOR_PATH), FLOOR_PATH)
    ceiling = _decimal(params.value(CEILING_PATH), CEILING_PATH)
    if floor > ceiling:
        # only a broken overlay gets here; better to stop than pick one silently
        raise ValueError(
            f"contribution base floor {floor} is above the ceiling {ceiling} "
            f"on {params.on_date.isoformat()}"
        )
    return BaseLimits(floor, ceiling)


#: F-3 (F Q4): from this fee month on, the pension base of a level 1–4 work-injury
#: employee is their disability allowance (伤残津贴)
DISABILITY_BASE_FROM = "2021-10"


def disability_base(person: Any, insurance_code: str, fee_month: str) -> Decimal | None:
    """F-3: the pension base of ``person`` for ``fee_month`` when it is their disability
    allowance (levels 1–4, from 2021-10; not clamped), else ``None`` (the declared base
    clamped applies).  Monthly settlement applies the same rule in SQL."""
    if insurance_code != "110" or fee_month < DISABILITY_BASE_FROM:
        return None
    level = getattr(person, "work_injury_level", None)
    allowance = getattr(person, "disability_allowance", None)
    if level is None or not 1 <= level <= 4 or allowance is None:
        return None
    return _decimal(allowance, "disability_allowance")


def clamp_base(declared: Decimal, params: ParameterView) -> BaseDecision:
    """PER-3 封顶保底: clamp a declared contribution base to the floor and ceiling in
    force on ``params.on_date``; a base exactly on the floor or ceiling is kept as is."""
    return base_limits(params).clamp(declared)


@dataclass(frozen=True)
class MonthlyContribution:
    """One insurance type's amounts for one person and one fee month (PER-8)."""

    insurance_code: str
    base: Decimal
    unit_rate: Decimal
    personal_rate: Decimal
    unit_amount: Decimal
    personal_amount: Decimal

    @property
    def total(self) -> Decimal:
        """Unit plus individual (合计); each part is rounded on its own first."""
        return self.unit_amount + self.personal_amount


def _insurance_type(insurance_code: str, params: ParameterView) -> Mapping[str, Any]:
    table: Mapping[str, Mapping[str, Any]] = params.value(INSURANCE_TYPES_PATH)
    insurance = table.get(insurance_code)
    if insurance is None:
        raise InsuranceNotHandled(
            f"unknown insurance code (险种) {insurance_code!r}; known: {', '.join(sorted(table))}"
        )
    if not insurance.get("on_platform", False):
        raise InsuranceNotHandled(
            f"险种 {insurance_code}（{insurance.get('name', '')}）不在本平台缴费：{MEDICAL_PLATFORM_MESSAGE}"
        )
    return insurance


def work_injury_rate(
    params: ParameterView, industry_class: int | None, floating_tier: int | None = None
) -> Decimal:
    """PER-8 work-injury unit rate: the industry class's base rate × the multiplier of
    its floating tier (1-based; default: the tier whose multiplier is 1.0)."""
    if industry_class is None:
        raise ValueError("工伤保险 (410) needs the unit's industry_class (行业类别 1–8)")
    class_rates: Mapping[int, Decimal] = params.value(WORK_INJURY_CLASS_RATES_PATH)
    tiers_by_class: Mapping[int, tuple[Decimal, ...]] = params.value(
        WORK_INJURY_FLOATING_TIERS_PATH
    )
    if industry_class not in class_rates or industry_class not in tiers_by_class:
        raise ValueError(
            f"industry_class {industry_class!r} is not a work-injury industry class "
            f"(known: {', '.join(map(str, sorted(class_rates)))})"
        )
    tiers = tiers_by_class[industry_class]
    if floating_tier is None:
        floating_tier = tiers.index(Decimal(1)) + 1
    if not 1 <= floating_tier <= len(tiers):
        raise ValueError(
            f"floating_tier {floating_tier} is out of range for industry class "
            f"{industry_class} (1–{len(tiers)})"
        )
    return class_rates[industry_class] * tiers[floating_tier - 1]


def monthly_contribution(
    insurance_code: str,
    base: Decimal,
    params: ParameterView,
    *,
    industry_class: int | None = None,
    floating_tier: int | None = None,
) -> MonthlyContribution:
    """PER-8: the unit and individual amounts of one insurance type for one month, as
    ``round_money(base × rate)`` with the rates in force on ``params.on_date``.

    ``base`` is used as given: clamp it first with :func:`clamp_base` (PER-3).
    Work injury (410) needs ``industry_class``; ``floating_tier`` defaults to the
    tier whose multiplier is 1.0.  Codes not on this platform (310 医疗, 510 生育)
    raise :class:`InsuranceNotHandled`.
    """
    insurance_code = str(insurance_code)
    base = _decimal(base, "base")
    if base < 0:
        raise ValueError(f"a contribution base cannot be negative: {base}")
    insurance = _insurance_type(insurance_code, params)
    if insurance.get("unit_rate_rule") == INDUSTRY_CLASS_RULE:
        unit_rate = work_injury_rate(params, industry_class, floating_tier)
    elif "unit_rate" in insurance:
        unit_rate = _decimal(params.value(insurance["unit_rate"]), insurance["unit_rate"])
    else:
        raise InsuranceNotHandled(
            f"险种 {insurance_code}（{insurance.get('name', '')}）has no rate parameters "
            "in this simulator"
        )
    if "personal_rate" not in insurance:
        raise InsuranceNotHandled(
            f"险种 {insurance_code}（{insurance.get('name', '')}）has no personal rate parameter"
        )
    personal_rate = _decimal(params.value(insurance["personal_rate"]), insurance["personal_rate"])
    return MonthlyContribution(
        insurance_code=insurance_code,
        base=base,
        unit_rate=unit_rate,
        personal_rate=personal_rate,
        unit_amount=round_money(base * unit_rate),
        personal_amount=round_money(base * personal_rate),
    )
