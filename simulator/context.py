"""What a rule sees: the sandbox, its clock and period, the city, the parameters.

A :class:`SandboxContext` is built per request inside a transaction; a
:class:`BusinessContext` adds the item, the acting unit and account, and the
business being recorded.  Rules read "now" from here, never from the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from simulator.cities import City
from simulator.clock import SandboxClock
from simulator.db.models import Account, Business, Counter, Sandbox, Unit
from simulator.months import Month
from simulator.periods import PeriodInfo
from simulator.variants import RuleVariant

if TYPE_CHECKING:
    from simulator.effects import EffectRecorder
    from simulator.items import BusinessItem
    from simulator.parameters import ParameterValue, ParameterView
    from simulator.platform import Platform


@dataclass(frozen=True)
class Actor:
    """Who does a business: an account of a unit (PREP-1, A-1)."""

    unit_id: int | None
    name: str
    role: str  # legal_rep | admin | agent | counter | system
    account_id: int | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.name}({self.role})"


SYSTEM = Actor(unit_id=None, name="系统", role="system")


@dataclass
class SandboxContext:
    platform: Platform
    session: Session
    sandbox: Sandbox
    city: City
    now: datetime
    trace: list[dict[str, Any]] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def clock(self) -> SandboxClock:
        return SandboxClock(self.sandbox.clock_frozen_at)

    @property
    def variant(self) -> RuleVariant:
        return self.platform.rule_variant(self.city, self.today)

    @property
    def period(self) -> PeriodInfo:
        return self.platform.period_on(self.today, self.city)

    @property
    def fee_month(self) -> Month:
        """The current fee month (费款所属期) of the declaration period (PER-1)."""
        return self.period.fee_month

    def parameters(self, on_date: date | Month | None = None) -> ParameterView:
        """The city's parameters in force on a date (default today); reads are traced."""
        if isinstance(on_date, Month):
            on_date = on_date.first_day()
        return self.platform.parameters_for(self.city).at(
            on_date or self.today, on_access=self._trace_parameter
        )

    def _trace_parameter(self, value: ParameterValue) -> None:
        entry = {
            "kind": "parameter",
            "path": value.path,
            "value": str(value.value),
            "in_force_from": value.start.isoformat(),
            "reference": value.reference,
            "confidence": value.confidence,
        }
        if entry not in self.trace:
            self.trace.append(entry)

    def note(self, rule: str, *, behaviour_id: str | None = None, **details: Any) -> None:
        """Record in the trace which rule decided something, and why."""
        entry: dict[str, Any] = {"kind": "rule", "rule": rule}
        if behaviour_id:
            entry["behaviour_id"] = behaviour_id
        entry.update(
            {k: v if isinstance(v, str | int | bool) else str(v) for k, v in details.items()}
        )
        self.trace.append(entry)

    def next_number(self, name: str) -> int:
        """The next value of a per-sandbox sequence (in this transaction)."""
        sandbox_id = self.sandbox.id
        result = self.session.execute(
            update(Counter)
            .where(Counter.sandbox_id == sandbox_id, Counter.name == name)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar_one_or_none()
        if result is None:
            self.session.add(Counter(sandbox_id=sandbox_id, name=name, value=1))
            self.session.flush()
            result = 1
        return int(result)


@dataclass
class BusinessContext(SandboxContext):
    item: BusinessItem | None = None
    actor: Actor = SYSTEM
    unit: Unit | None = None
    business: Business | None = None
    effects: EffectRecorder | None = None
    channel: str = "网上大厅"
    #: what an item's ``validate`` found, for its ``apply`` (same transaction)
    scratch: dict[str, Any] = field(default_factory=dict)
    #: the other agencies' answers gathered by the item's ``consult`` before the transaction
    consulted: dict[str, Any] = field(default_factory=dict)
    #: where the person rules (``plugins/items/common.py``) read people, their active
    #: relations and benefit months: ``None`` — the session, one query per look-up; a
    #: batch sets a provider preloaded for the whole file (``simulator.bulk.PreloadedFacts``)
    facts: Any = None

    def account(self) -> Account | None:
        if self.actor.account_id is None:
            return None
        return self.session.get(Account, self.actor.account_id)

    def unit_by_uscc(self, uscc: str) -> Unit | None:
        return self.session.scalars(
            select(Unit).where(Unit.sandbox_id == self.sandbox.id, Unit.uscc == uscc)
        ).first()
