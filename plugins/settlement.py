"""The monthly settlement as a plugin: run when the sandbox clock reaches the 7th (the
paused days begin, PER-2), or on demand through the API and the CLI.

See :mod:`simulator.settlement` for the rules (PER-3, PER-8, F-1, F-3, Q-6).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import click
from pydantic import BaseModel, Field

from simulator import hookimpl
from simulator.context import SandboxContext
from simulator.months import Month
from simulator.settlement import SettlementSummary, settle_month

SETTLEMENT_DAY = 7


class SettlePath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class SettleBody(BaseModel):
    fee_month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")


def _sevenths_reached(previous: datetime, current: datetime) -> list[date]:
    """Every 7th in (previous, current], oldest first."""
    day = previous.date()
    found = []
    candidate = day.replace(day=SETTLEMENT_DAY)
    if candidate <= day:
        candidate = (candidate.replace(day=1) + timedelta(days=32)).replace(day=SETTLEMENT_DAY)
    while candidate <= current.date():
        found.append(candidate)
        candidate = (candidate.replace(day=1) + timedelta(days=32)).replace(day=SETTLEMENT_DAY)
    return found


def settle(context: SandboxContext, month: Month) -> SettlementSummary:
    summary = settle_month(
        context.session, context.sandbox.id, month, context.parameters(month), context.now
    )
    context.note(
        "fee month settled", behaviour_id="PER-8", fee_month=str(month), lines=summary.lines
    )
    return summary


@hookimpl
def clock_moved(context: SandboxContext, previous: datetime, current: datetime) -> None:
    for seventh in _sevenths_reached(previous, current):
        period = context.platform.period_on(seventh, context.city)
        if period.paused:  # the provincial calendar: the period just closed is settled
            settle(context, period.fee_month)


def settle_on_demand(platform: Any, sandbox_id: str, fee_month: str | None) -> dict[str, Any]:
    with platform.sandbox_session(sandbox_id) as context:
        month = Month.parse(fee_month) if fee_month else context.period.fee_month
        return settle(context, month).as_dict()


@hookimpl
def register_blueprints() -> list[Any]:
    from flask_openapi3 import APIBlueprint, Tag

    from simulator.api import ERROR_RESPONSES, platform

    api = APIBlueprint("settlement", __name__, url_prefix="/api/v1", abp_responses=ERROR_RESPONSES)
    tag = Tag(name="结算 settlement", description="Monthly settlement (trainers and testers)")

    @api.post(
        "/sandboxes/<sandbox_id>/settlements",
        tags=[tag],
        summary="Settle a fee month now (default: the current one)",
    )
    def settle_now(path: SettlePath, body: SettleBody):  # type: ignore[no-untyped-def]
        return settle_on_demand(platform(), path.sandbox_id, body.fee_month)

    return [api]


@click.command("settle")
@click.option("--sandbox", "sandbox_id", default="demo", show_default=True)
@click.option("--fee-month", help="YYYY-MM (default: the current fee month)")
@click.pass_obj
def settle_command(state: Any, sandbox_id: str, fee_month: str | None) -> None:
    """Settle a fee month: contribution lines and 单位征缴通知单."""
    import json

    summary = settle_on_demand(state.platform(), sandbox_id, fee_month)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(settle_command)
