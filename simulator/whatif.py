"""What-if comparison: the same business under two rule variants (PER-7, cities).

Trainers explain 原社保系统 vs 省一体化平台, or one city against another, by doing a
business twice in a transaction that is always rolled back: once per variant, each
with its own date (which selects the rule variant) and/or city.  The answer lists
each variant's outcome — accepted or refused, months, back-pay lines, amounts —
and the fields where they differ.  Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from simulator.auth import NOT_GRANTED, may_do
from simulator.clock import as_instant
from simulator.context import Actor
from simulator.db.models import Sandbox, Unit
from simulator.errors import Refused


@dataclass(frozen=True)
class Variant:
    label: str
    on: date | None = None  # the day the business is done (selects the rule variant)
    city: str | None = None  # the unit's city, e.g. 320500


class _Discard(Exception):
    """Raised to roll back a what-if transaction."""


def _outcome_summary(outcome: Any) -> dict[str, Any]:
    data = outcome.data
    return {
        "accepted": True,
        "message": outcome.message,
        "period": outcome.period.as_dict(),
        "rule_variant": outcome.period.variant,
        "start_month": data.get("start_month"),
        "base": data.get("base"),
        "补缴明细": data.get("补缴明细", []),
        "notices": [n.get("message") for n in outcome.notices],
    }


def evaluate(
    platform: Any,
    sandbox_id: str,
    item_code: str,
    payload: dict[str, Any],
    actor: Actor,
    variant: Variant,
    consulted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One variant's outcome, computed in a transaction that is rolled back.

    ``consulted``: the other agencies' answers, when the caller has asked them already."""
    item = platform.item(item_code)
    if consulted is None:
        consulted = platform.consult(sandbox_id, item, payload)
    result: dict[str, Any] = {}
    try:
        with platform.db.transaction() as session:
            sandbox = session.get(Sandbox, sandbox_id)
            if sandbox is not None and variant.on is not None:
                sandbox.clock_frozen_at = as_instant(variant.on)
            unit = session.get(Unit, actor.unit_id) if actor.unit_id else None
            if unit is not None and variant.city:
                unit.city_code = platform.city(variant.city).code
            try:
                outcome = platform.submit_in(
                    session, sandbox_id, item, payload, actor=actor, consulted=consulted
                )
                result = _outcome_summary(outcome)
            except Refused as refused:
                result = {"accepted": False, "refusal": refused.problem.as_dict()}
            raise _Discard
    except _Discard:
        pass
    return {"label": variant.label, "on": variant.on and variant.on.isoformat(),
            "city": variant.city, **result}  # fmt: skip


def compare(
    platform: Any,
    sandbox_id: str,
    item_code: str,
    payload: dict[str, Any],
    actor: Actor,
    variants: list[Variant],
) -> dict[str, Any]:
    """The same business under each variant, and where the outcomes differ.

    An actor without the item's grant is refused before any agency is asked (A-2), as
    ``Platform.submit`` does; the agencies are asked once for every variant."""
    item = platform.item(item_code)
    if not may_do(actor, item.code):
        raise NOT_GRANTED.refuse(item=item.name)
    consulted = platform.consult(sandbox_id, item, payload)
    outcomes = [
        evaluate(platform, sandbox_id, item_code, payload, actor, variant, consulted)
        for variant in variants
    ]
    keys = sorted({key for o in outcomes for key in o} - {"label", "on", "city"})
    differences = {
        key: {o["label"]: o.get(key) for o in outcomes}
        for key in keys
        if len({repr(o.get(key)) for o in outcomes}) > 1
    }
    return {"item": item_code, "variants": outcomes, "differences": differences}
