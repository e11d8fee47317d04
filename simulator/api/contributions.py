"""缴费试算: what a declared base costs per month (PER-3 clamping, PER-8 amounts).

Testers and trainers use it to see the floor/ceiling and rates in force for a
fee month and city, with the parameters (and their confidence) that decided
each figure.  Medical and maternity insurance answer that they are on the
medical-insurance platform (F-2).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from simulator.api import ERROR_RESPONSES, platform
from simulator.contributions import (
    InsuranceNotHandled,
    clamp_base,
    monthly_contribution,
    refuse_medical_platform,
)
from simulator.errors import INVALID_INPUT
from simulator.months import Month
from simulator.platform import Platform

trial_tag = Tag(name="缴费试算 contributions", description="Base clamping and monthly amounts")

api = APIBlueprint("contributions", __name__, url_prefix="/api/v1", abp_responses=ERROR_RESPONSES)


class TrialPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class TrialRequest(BaseModel):
    base: Decimal = Field(
        description="the declared monthly base (申报缴费基数), yuan to the fen",
        ge=0,
        decimal_places=2,
    )
    fee_month: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}$", description="费款所属期 (default: the current one)"
    )
    insurance_codes: list[str] = Field(default_factory=lambda: ["110", "210", "410"])
    industry_class: int = Field(1, ge=1, le=8, description="工伤行业类别 一…八")
    floating_tier: int | None = Field(None, ge=1, le=5, description="浮动档次 (1-based)")
    city: str | None = Field(None, pattern=r"^32\d{4}$")


@api.post(
    "/sandboxes/<sandbox_id>/contributions/trial",
    tags=[trial_tag],
    summary="缴费试算: clamp a declared base and compute the monthly amounts",
)
def trial(path: TrialPath, body: TrialRequest):  # type: ignore[no-untyped-def]
    return trial_calculation(platform(), path.sandbox_id, body)


def trial_calculation(sim: Platform, sandbox_id: str, body: TrialRequest) -> dict[str, Any]:
    """Clamp the declared base (PER-3) and compute each insurance's amounts (PER-8)."""
    with sim.sandbox_session(sandbox_id, city_code=body.city) as ctx:
        fee_month = Month.parse(body.fee_month) if body.fee_month else ctx.fee_month
        params = ctx.parameters(fee_month)
        decision = clamp_base(body.base, params)
        lines = []
        for code in body.insurance_codes:
            try:
                amount = monthly_contribution(
                    code,
                    decision.effective,
                    params,
                    industry_class=body.industry_class,
                    floating_tier=body.floating_tier,
                )
            except InsuranceNotHandled as error:
                refuse_medical_platform(code, field="insurance_codes")
                raise INVALID_INPUT.refuse(message=str(error), field="insurance_codes") from None
            except ValueError as error:  # an industry class without that floating tier
                raise INVALID_INPUT.refuse(message=str(error), field="floating_tier") from None
            lines.append(
                {
                    "insurance_code": code,
                    "base": str(amount.base),
                    "unit_rate": str(amount.unit_rate),
                    "personal_rate": str(amount.personal_rate),
                    "unit_amount": str(amount.unit_amount),
                    "personal_amount": str(amount.personal_amount),
                    "total": str(amount.total),
                }
            )
        return {
            "fee_month": str(fee_month),
            "city": ctx.city.as_dict(),
            "declared_base": str(decision.declared),
            "effective_base": str(decision.effective),
            "floor": str(decision.floor),
            "ceiling": str(decision.ceiling),
            "adjustment": decision.adjustment,
            "lines": lines,
            "trace": ctx.trace,
        }
