"""The platform: one entry point for every business, and the sandboxes it runs in.

``Platform.submit`` is the single business pipeline used by the JSON API, the
CLI, the web UI and the BDD steps alike (architecture.md):

1. pick the item plugin;
2. the declaration-period gate (PER-2: only 预登记 on the paused days);
3. the item's own rules, then every plugin's ``validate_business`` (city rules);
4. record a business (办件) and apply the item's effects, recording each
   change so a rollback can undo it;
5. commit — or, on any refusal or error, roll everything back: a refused
   business leaves every table exactly as it was.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

import pluggy
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from simulator.auth import NOT_GRANTED, NOT_LOGGED_IN, may_do
from simulator.cities import PROVINCE, City, prefecture_code
from simulator.clock import SandboxClock, wall_clock_now
from simulator.context import SYSTEM, Actor, BusinessContext, SandboxContext
from simulator.db import Database
from simulator.db.models import SANDBOX_TABLES, Base, Business, Sandbox, Unit
from simulator.effects import EffectRecorder
from simulator.errors import (
    CONFLICT,
    UNKNOWN_ITEM,
    UNKNOWN_SANDBOX,
    Problem,
    Refused,
)
from simulator.gateways import Gateways, gateways_for
from simulator.items import BusinessItem, ItemResult
from simulator.parameters import ParameterSet
from simulator.periods import PeriodInfo
from simulator.plugin_manager import make_plugin_manager
from simulator.variants import RuleVariant

T = TypeVar("T")


def flatten(results: Iterable[Iterable[T] | None]) -> list[T]:
    """Flatten the lists returned by a ``register_*`` hook (``None`` = nothing)."""
    return [item for result in results if result for item in result]


@dataclass(frozen=True)
class BusinessOutcome:
    """A business that succeeded, as reported to the caller."""

    business_no: str
    item: str
    item_name: str
    state: str
    message: str
    submitted_at: datetime
    period: PeriodInfo
    data: dict[str, Any]
    notices: list[dict[str, Any]]
    trace: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_no": self.business_no,
            "item": self.item,
            "item_name": self.item_name,
            "state": self.state,
            "message": self.message,
            "submitted_at": self.submitted_at.isoformat(sep=" "),
            "fee_month": str(self.period.fee_month),
            "period": self.period.as_dict(),
            "data": self.data,
            "notices": self.notices,
            "trace": self.trace,
        }


class Platform:
    """A simulated platform: plugins, parameters and a database of sandboxes."""

    def __init__(
        self,
        database_url: str = "sqlite://",
        *,
        plugin_manager: pluggy.PluginManager | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.pm = plugin_manager or make_plugin_manager()
        self.hook = self.pm.hook
        self.db = Database(database_url)
        self.settings: dict[str, Any] = dict(settings or {})
        self._city_parameters: dict[str, ParameterSet] = {}

    # -- plugins ---------------------------------------------------------------
    @cached_property
    def items(self) -> dict[str, BusinessItem]:
        items: dict[str, BusinessItem] = {}
        for item in flatten(self.hook.register_items()):
            if item.code in items:
                raise ValueError(f"two plugins register the business item {item.code!r}")
            items[item.code] = item
        return items

    @cached_property
    def cities(self) -> dict[str, City]:
        cities = {PROVINCE.code: PROVINCE}
        for city in flatten(self.hook.register_cities()):
            cities[city.code] = city
        return cities

    def city(self, code: str | None) -> City:
        """The city of a region or prefecture code; the province when unknown or empty."""
        if not code:
            return PROVINCE
        return self.cities.get(prefecture_code(code), PROVINCE)

    def item(self, code: str) -> BusinessItem:
        try:
            return self.items[code]
        except KeyError:
            raise UNKNOWN_ITEM.refuse(item=code) from None

    # -- parameters and rules -----------------------------------------------------
    @cached_property
    def baseline_parameters(self) -> ParameterSet:
        return ParameterSet.load(flatten(self.hook.register_parameters()))

    def parameters_for(self, city: City) -> ParameterSet:
        """The baseline with the city's overlays (a copy; the baseline never changes)."""
        if city.code not in self._city_parameters:
            overlays = flatten(self.hook.register_city_parameters(city=city))
            base = self.baseline_parameters
            self._city_parameters[city.code] = base.overlay(overlays) if overlays else base
        return self._city_parameters[city.code]

    def rule_variant(self, city: City, on_date: date) -> RuleVariant:
        variant = self.hook.select_rule_variant(
            city=city, on_date=on_date, parameters=self.parameters_for(city).at(on_date)
        )
        if variant is None:
            raise RuntimeError("no plugin selects a rule variant: is the baseline plugin blocked?")
        return variant

    def period_on(self, on_date: date, city: City = PROVINCE) -> PeriodInfo:
        """Declaration period, fee month and paused flag for a day (PER-1, PER-2, PER-7)."""
        variant = self.rule_variant(city, on_date)
        info = variant.calendar.period_on(on_date)
        return PeriodInfo(**{**info.__dict__, "variant": variant.key})

    # -- schema ------------------------------------------------------------------
    def create_schema(self) -> None:
        self.db.create_all()

    # -- sandboxes ----------------------------------------------------------------
    @contextmanager
    def sandbox_session(
        self, sandbox_id: str, *, city_code: str | None = None
    ) -> Iterator[SandboxContext]:
        """A transaction on one sandbox, with its clock read once."""
        with self.db.transaction() as session:
            sandbox = self._sandbox(session, sandbox_id)
            yield SandboxContext(
                platform=self,
                session=session,
                sandbox=sandbox,
                city=self.city(city_code or sandbox.location_city),
                now=SandboxClock(sandbox.clock_frozen_at).now(),
            )

    @staticmethod
    def _sandbox(session: Session, sandbox_id: str) -> Sandbox:
        sandbox = session.get(Sandbox, sandbox_id)
        if sandbox is None:
            raise UNKNOWN_SANDBOX.refuse(sandbox=sandbox_id)
        return sandbox

    def create_sandbox(
        self,
        sandbox_id: str | None = None,
        *,
        name: str = "",
        clock: date | datetime | str | None = None,
        location_city: str | None = None,
    ) -> dict[str, Any]:
        sandbox_id = sandbox_id or f"sb-{secrets.token_hex(4)}"
        with self.db.transaction() as session:
            if session.get(Sandbox, sandbox_id) is not None:
                raise CONFLICT.refuse(message=f"沙箱已存在：{sandbox_id}")
            frozen = SandboxClock().set(clock).frozen_at if clock is not None else None
            sandbox = Sandbox(
                id=sandbox_id,
                name=name,
                clock_frozen_at=frozen,
                location_city=location_city,
                created_at=wall_clock_now(),
            )
            session.add(sandbox)
        return self.describe_sandbox(sandbox_id)

    def list_sandboxes(self) -> list[dict[str, Any]]:
        with self.db.transaction() as session:
            ids = session.scalars(select(Sandbox.id).order_by(Sandbox.created_at)).all()
        return [self.describe_sandbox(i) for i in ids]

    def describe_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        with self.sandbox_session(sandbox_id) as ctx:
            sandbox = ctx.sandbox
            return {
                "id": sandbox.id,
                "name": sandbox.name,
                "world": sandbox.world,
                "location_city": sandbox.location_city,
                "location": self.city(sandbox.location_city).as_dict()
                if sandbox.location_city
                else None,
                "clock": self._clock_dict(ctx),
            }

    def _clock_dict(self, ctx: SandboxContext) -> dict[str, Any]:
        period = ctx.period
        return {
            "now": ctx.now.isoformat(sep=" "),
            "date": ctx.today.isoformat(),
            "follows_wall_clock": ctx.sandbox.clock_frozen_at is None,
            "period": period.as_dict(),
            "period_state": "暂停申报期" if period.paused else "申报期",
            "rule_variant": ctx.variant.describe(),
        }

    def delete_sandbox(self, sandbox_id: str) -> None:
        with self.db.transaction() as session:
            sandbox = self._sandbox(session, sandbox_id)
            self._clear(session, sandbox_id)
            session.delete(sandbox)

    def reset_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        """Empty a sandbox's world (its clock and location stay)."""
        with self.db.transaction() as session:
            sandbox = self._sandbox(session, sandbox_id)
            self._clear(session, sandbox_id)
            sandbox.world = None
        return self.describe_sandbox(sandbox_id)

    @staticmethod
    def _clear(session: Session, sandbox_id: str) -> None:
        tables = Base.metadata.tables
        for name in [*SANDBOX_TABLES, *sorted(set(tables) - set(SANDBOX_TABLES) - {"sandboxes"})]:
            table = tables[name]
            if "sandbox_id" in table.c:
                session.execute(delete(table).where(table.c.sandbox_id == sandbox_id))

    def load_world(self, sandbox_id: str, name: str, *, replace: bool = False) -> dict[str, Any]:
        """Load a world file (by name, see ``register_worlds``) into a sandbox."""
        from simulator.worlds import load_world

        return load_world(self, sandbox_id, name, replace=replace).as_dict()

    # -- the clock -------------------------------------------------------------------
    def clock(self, sandbox_id: str) -> dict[str, Any]:
        with self.sandbox_session(sandbox_id) as ctx:
            return self._clock_dict(ctx)

    def set_clock(self, sandbox_id: str, value: date | datetime | str) -> dict[str, Any]:
        return self._move_clock(sandbox_id, lambda clock: clock.set(value))

    def advance_clock(
        self, sandbox_id: str, *, days: int = 0, hours: int = 0, minutes: int = 0
    ) -> dict[str, Any]:
        return self._move_clock(
            sandbox_id, lambda clock: clock.advance(days=days, hours=hours, minutes=minutes)
        )

    def set_location(self, sandbox_id: str, city_code: str | None) -> dict[str, Any]:
        """The hall's location (定位, the selector at the top left of the hall)."""
        with self.db.transaction() as session:
            sandbox = self._sandbox(session, sandbox_id)
            sandbox.location_city = self.city(city_code).code if city_code else None
        return self.describe_sandbox(sandbox_id)

    def follow_wall_clock(self, sandbox_id: str) -> dict[str, Any]:
        return self._move_clock(sandbox_id, lambda _clock: SandboxClock(None))

    def _move_clock(
        self, sandbox_id: str, move: Callable[[SandboxClock], SandboxClock]
    ) -> dict[str, Any]:
        with self.sandbox_session(sandbox_id) as ctx:
            previous = ctx.now
            moved = move(ctx.clock)
            ctx.sandbox.clock_frozen_at = moved.frozen_at
            ctx.now = moved.now()
            if ctx.now > previous:
                # Time-driven work (settlement on the 7th, pre-registrations on the
                # 11th) runs in the clock's transaction: all of it or none.
                self.hook.clock_moved(context=ctx, previous=previous, current=ctx.now)
            return self._clock_dict(ctx)

    # -- the business pipeline ------------------------------------------------------
    def submit(
        self,
        sandbox_id: str,
        item_code: str,
        payload: dict[str, Any],
        *,
        actor: Actor = SYSTEM,
        channel: str = "网上大厅",
        batch_job_id: int | None = None,
    ) -> BusinessOutcome:
        """Do one business; raise :class:`Refused` with the documented error otherwise."""
        item = self.item(item_code)
        if not may_do(actor, item.code):  # refused before any other agency is asked
            raise NOT_GRANTED.refuse(item=item.name)
        consulted = self.consult(sandbox_id, item, payload)
        with self.db.transaction() as session:
            return self.submit_in(
                session,
                sandbox_id,
                item,
                payload,
                actor=actor,
                channel=channel,
                batch_job_id=batch_job_id,
                consulted=consulted,
            )

    @property
    def gateways(self) -> Gateways:
        """The clients of the other agencies' services (see ``simulator.gateways``)."""
        return gateways_for(self)

    def consult(
        self, sandbox_id: str, item: BusinessItem, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The item's questions to other agencies, asked with no transaction open."""
        return item.consult(self.gateways, sandbox_id, payload)

    def submit_in(
        self,
        session: Session,
        sandbox_id: str,
        item: BusinessItem,
        payload: dict[str, Any],
        *,
        actor: Actor = SYSTEM,
        channel: str = "网上大厅",
        batch_job_id: int | None = None,
        consulted: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> BusinessOutcome:
        """The pipeline inside a caller's transaction (batch jobs use a savepoint per row).
        ``at``: when the business is done, for time-driven work the clock's move reaches
        (a pre-registration becomes a registration on the 11th, I10-2); default: now."""
        sandbox = self._sandbox(session, sandbox_id)
        unit = session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
        if actor.unit_id is not None and (unit is None or unit.sandbox_id != sandbox_id):
            raise NOT_LOGGED_IN.refuse()  # an actor of another sandbox is nobody here
        city = self.city(unit.city_code if unit is not None else sandbox.location_city)
        ctx = BusinessContext(
            platform=self,
            session=session,
            sandbox=sandbox,
            city=city,
            now=at or SandboxClock(sandbox.clock_frozen_at).now(),
            item=item,
            actor=actor,
            unit=unit,
            channel=channel,
            consulted=consulted or {},
        )
        if item.needs_unit and unit is None and actor.role != "counter":
            raise NOT_LOGGED_IN.refuse()
        if not may_do(actor, item.code):
            raise NOT_GRANTED.refuse(item=item.name)
        period = ctx.period
        if item.closed_in(period):
            raise ctx.variant.closed_error.refuse()
        item.validate(ctx, payload)
        problems: list[Problem] = flatten(
            self.hook.validate_business(context=ctx, item=item, payload=payload)
        )
        if problems:
            raise Refused(*problems)

        business = Business(
            sandbox_id=sandbox_id,
            business_no=f"{ctx.today:%Y%m%d}{ctx.next_number('business'):08d}",
            item_code=item.code,
            item_name=item.name,
            unit_id=unit.id if unit is not None else None,
            actor=actor.label,
            channel=channel,
            submitted_at=ctx.now,
            period_start=period.period_start,
            period_end=period.period_end,
            fee_month=str(period.fee_month),
            payload=payload,
            batch_job_id=batch_job_id,
        )
        session.add(business)
        session.flush()
        ctx.business = business
        with EffectRecorder(session, sandbox_id, business.id) as recorder:
            ctx.effects = recorder
            result: ItemResult = item.apply(ctx, payload)
            self.hook.apply_business(context=ctx, item=item, payload=payload, result=result)
        business.person_id = result.person_id
        business.result = {
            "message": result.message,
            "data": result.data,
            "notices": result.notices,
        }
        business.trace = ctx.trace
        self.hook.business_done(
            context=ctx,
            business={"business_no": business.business_no, "item": item.code, "id": business.id},
        )
        session.flush()
        return BusinessOutcome(
            business_no=business.business_no,
            item=item.code,
            item_name=item.name,
            state=business.state,
            message=result.message,
            submitted_at=business.submitted_at,
            period=period,
            data=result.data,
            notices=result.notices,
            trace=ctx.trace,
        )
