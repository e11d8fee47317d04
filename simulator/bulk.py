"""Set-based batch declarations: a whole file in a handful of queries and bulk inserts.

Batch 用人单位用工参保登记 of a 10 MB template (about 80,000 rows) must take a small
multiple of the time it takes to parse the file and insert its rows once (issue 5).
The row-by-row path (:mod:`simulator.batch`) makes each row a full business inside a
savepoint: ORM objects, a flush per table, four queries of the person's situation per
row.  An item that offers it (:meth:`simulator.items.BusinessItem.bulk_batch`) gets the
same results this way instead:

1. **Facts, preloaded.**  The person records of every ID number in the file, their
   active relations and their unreturned benefit months are read in a few set-based
   queries (:class:`PreloadedFacts`).  The person rules of
   ``plugins/items/common.py`` read them through ``BusinessContext.facts`` instead of
   querying per row.  Rows of one file see each other as in the row-by-row path: an
   accepted row adds its relations to the facts, so the same person twice is refused the
   second time (``E_ALREADY_INSURED_HERE``).
2. **The same rules.**  Each row is checked by the item's own rules (for 用工参保登记
   ``EnrolmentRules.check``, what ``EmploymentEnrolment.validate`` runs) and every
   plugin's ``validate_business``, in a :class:`BulkContext` that reads each parameter
   once per day for the whole file but traces it on every row exactly as the pipeline
   does (the 办件's trace is the same).  What the rules read before they look at a row
   (``EnrolmentRules.read``: the unit, code tables, identities, retirement ages, the
   base limits) is read once per file and replayed into each row's trace
   (:meth:`BulkBatch.validate`).  The gates of the pipeline (logged in, granted, paused
   period) do not depend on the row and are checked once.
3. **Effects as rows.**  A valid row's business (办件), employment, relations, back-pay
   lines and reversible effects (``business_effects``, so that 人员变更回退 undoes a batch
   row like any other business) become plain rows with their ids drawn at once
   (:meth:`simulator.db.rows.RowWriter.allocate_ids`: counted on from the greatest id on
   SQLite, which the batch's transaction writes alone; the column's sequence on
   PostgreSQL), so that rows refer to each other before any is written.  They are
   inserted per chunk of rows, table by table (multi-row INSERTs on SQLite, with a page
   cache big enough for the whole transaction).  Business numbers and 补退流水号 come
   from the sandbox counters in blocks, one counter update per chunk, in the same order
   as row by row.  A row's inserts into one table have consecutive ids and are one
   effect record (``row_count``, as :class:`simulator.effects.EffectRecorder` merges
   them), and the parameter entries every row's trace repeats are kept once, in the
   job (``batch_jobs.trace_entries``): a 办件's trace references them as
   ``{"$entry": k}``, or a run of them as ``{"$entries": [k, n]}``, and
   :func:`simulator.db.models.stored_trace` resolves them.  The job keeps each done
   row's result without its ``data``, which the row's 办件 keeps
   (:func:`simulator.batch.stored_rows`).
4. **Results** per row exactly as :mod:`simulator.batch` reports them.

An item falls back to the row-by-row path (``bulk_batch`` answers ``None``) when a
plugin implements ``apply_business`` or ``business_done`` (their effects cannot be
batched), when a subclass overrides ``apply``, or when the platform setting
``batch.bulk`` is false.  ``validate_business`` implementations are called per row; one
that queries the database sees the rows of earlier chunks, not those of its own chunk.
Every valid row's business has the same 经办时间 (the clock is read once per file).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from simulator.auth import NOT_GRANTED, NOT_LOGGED_IN, may_do
from simulator.backpay import BackpayLine, note_allowance_months
from simulator.batch import done_row, failed_row
from simulator.clock import SandboxClock
from simulator.context import SYSTEM, Actor, BusinessContext, SandboxContext
from simulator.contributions import (
    clamp_base,
    disability_base,
    monthly_contribution,
    round_money,
)
from simulator.db.models import (
    TRACE_ENTRIES_REF,
    TRACE_ENTRY_REF,
    Base,
    BatchJob,
    BenefitPayment,
    Business,
    BusinessEffect,
    ContributionLine,
    Counter,
    Employment,
    InsuredRelation,
    Person,
    Sandbox,
    Unit,
)
from simulator.db.rows import RowWriter
from simulator.effects import EffectRecorder
from simulator.errors import Refused
from simulator.items import BusinessItem, ItemResult
from simulator.memory import gc_paused
from simulator.months import Month
from simulator.parameters import ParameterSet, ParameterValue, ParameterView

if TYPE_CHECKING:
    from plugins.items.employment_enrolment import EnrolmentRules
    from simulator.periods import PeriodInfo
    from simulator.platform import Platform
    from simulator.variants import RuleVariant

#: valid rows whose effects are inserted together (one executemany per table and chunk)
CHUNK_ROWS = 2000
BUSINESSES = Business.__table__
#: SQLite's page cache while a batch writes (its default, 2 MiB, makes a file of 80,000
#: rows spill half-written index pages to the WAL over and over)
BATCH_CACHE_KIB = 256 * 1024
#: tables in the order their rows can be inserted (a row after those it refers to)
INSERT_ORDER = list(Base.metadata.sorted_tables)
#: values in one ``IN (…)`` list of the preloading queries (SQLite allows 32,766 variables)
IN_CHUNK = 5000


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- facts ------------------------------------------------------------------------------------


class PreloadedFacts:
    """People, their active relations and benefit months, read once for a whole file.

    The provider behind ``BusinessContext.facts`` (see ``plugins/items/common.py``):
    ``people_with_id_number`` (ordered by id, as ``find_person`` reads them),
    ``active_relations`` (the criteria of ``common.active_relations``) and
    ``benefit_months_after`` (unreturned months after a month, sorted).  Records are
    SQLAlchemy rows with the columns' names as attributes.  Anything not preloaded is
    read when asked, so the provider is never wrong, only slower.
    """

    def __init__(self, session: Session, sandbox_id: str) -> None:
        self.session = session
        self.sandbox_id = sandbox_id
        self._people: dict[str, list[Any]] = {}
        self._relations: dict[int, list[Any]] = {}
        self._benefits: dict[int, list[str]] = {}

    @classmethod
    def load(cls, session: Session, sandbox_id: str, id_numbers: Iterable[str]) -> PreloadedFacts:
        facts = cls(session, sandbox_id)
        facts._load_people(sorted(set(id_numbers)))
        return facts

    def _load_people(self, id_numbers: Sequence[str]) -> None:
        people = Person.__table__
        found: dict[str, list[Any]] = {number: [] for number in id_numbers}
        for chunk in _chunks(id_numbers, IN_CHUNK):
            query = select(people).where(
                people.c.sandbox_id == self.sandbox_id, people.c.id_number.in_(chunk)
            )
            for row in self.session.execute(query):
                found[row.id_number].append(row)
        for rows in found.values():
            rows.sort(key=lambda row: row.id)
        self._people.update(found)
        self._load_situations([row.id for rows in found.values() for row in rows])

    def _load_situations(self, person_ids: Sequence[int]) -> None:
        relations = InsuredRelation.__table__
        benefits = BenefitPayment.__table__
        for person_id in person_ids:
            self._relations.setdefault(person_id, [])
            self._benefits.setdefault(person_id, [])
        for chunk in _chunks(person_ids, IN_CHUNK):
            # the criteria of plugins.items.common.active_relations
            query = select(relations).where(
                relations.c.sandbox_id == self.sandbox_id,
                relations.c.person_id.in_(chunk),
                relations.c.status == "1",
                relations.c.stop_month.is_(None),
                relations.c.kind != "project",
            )
            for row in self.session.execute(query):
                self._relations[row.person_id].append(row)
            query = select(benefits.c.person_id, benefits.c.month).where(
                benefits.c.sandbox_id == self.sandbox_id,
                benefits.c.person_id.in_(chunk),
                benefits.c.returned_on.is_(None),
            )
            for person_id, month in self.session.execute(query):
                self._benefits[person_id].append(month)

    # -- what the rules ask ----------------------------------------------------------------
    def people_with_id_number(self, id_number: str) -> list[Any]:
        if id_number not in self._people:
            self._load_people([id_number])
        return list(self._people[id_number])

    def active_relations(self, person: Any, *, all_records: bool = False) -> list[Any]:
        people = self.people_with_id_number(person.id_number) if all_records else [person]
        missing = [p.id for p in people if p.id not in self._relations]
        if missing:
            self._load_situations(missing)
        if len(people) == 1:
            return list(self._relations[people[0].id])
        return sorted(
            (relation for p in people for relation in self._relations[p.id]),
            key=lambda relation: relation.id,
        )

    def benefit_months_after(self, person: Any, start: Month) -> list[str]:
        if person.id not in self._benefits:
            self._load_situations([person.id])
        after = str(start)
        return sorted(month for month in self._benefits[person.id] if month > after)

    # -- what accepted rows change -----------------------------------------------------------
    def add_relation(self, person_id: int, values: dict[str, Any]) -> None:
        """A relation made by an earlier row of the file (active: status 1, no stop month)."""
        if person_id not in self._relations:
            self._load_situations([person_id])
        record = SimpleNamespace(**{"stop_month": None, "note": "", **values})
        self._relations[person_id].append(record)


# --- parameters: read once per day, traced on every row -------------------------------------


def _day(on_date: date | datetime | str) -> date:
    if isinstance(on_date, datetime):
        return on_date.date()
    if isinstance(on_date, date):
        return on_date
    return date.fromisoformat(on_date)


class _MemoView:
    """The parameters in force on one day, each value looked up once for the whole file."""

    def __init__(self, parameter_set: ParameterSet, on_date: date) -> None:
        self.parameter_set = parameter_set
        self.on_date = on_date
        self._view = parameter_set.at(on_date)
        self.values: dict[str, ParameterValue] = {}
        self._children: dict[str, tuple[dict[str, Any], tuple[ParameterValue, ...]]] = {}

    def load(self, path: str) -> ParameterValue:
        found = self.values[path] = self._view.get(path)
        return found

    def value(self, path: str) -> Any:
        """A value, untraced (what the trace must hear is replayed by the caller)."""
        return (self.values.get(path) or self.load(path)).value

    def children(self, path: str) -> tuple[dict[str, Any], tuple[ParameterValue, ...]]:
        memo = self._children.get(path)
        if memo is None:
            read: list[ParameterValue] = []
            values = self.parameter_set.at(self.on_date, on_access=read.append).children(path)
            memo = self._children[path] = (values, tuple(read))
        return memo


class _TracedView:
    """What ``BulkContext.parameters()`` returns: a ``ParameterView`` whose reads are
    memoised for the file and reported to the row's trace like the pipeline's."""

    __slots__ = ("_memo", "_on_access")

    def __init__(self, memo: _MemoView, on_access: Callable[[ParameterValue], None]) -> None:
        self._memo = memo
        self._on_access = on_access

    @property
    def on_date(self) -> date:
        return self._memo.on_date

    @property
    def parameter_set(self) -> ParameterSet:
        return self._memo.parameter_set

    def get(self, path: str) -> ParameterValue:
        found = self._memo.values.get(path) or self._memo.load(path)
        self._on_access(found)
        return found

    def value(self, path: str) -> Any:
        found = self._memo.values.get(path) or self._memo.load(path)
        self._on_access(found)
        return found.value

    def children(self, path: str) -> dict[str, Any]:
        values, read = self._memo.children(path)
        for value in read:
            self._on_access(value)
        return dict(values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        view = ParameterView(self._memo.parameter_set, self._memo.on_date, self._on_access)
        return getattr(view, name)


class _RowView(_TracedView):
    """A row's view: a sub-tree's values (``children``) are traced from cached entries."""

    __slots__ = ("_context",)

    def __init__(self, memo: _MemoView, context: BulkContext) -> None:
        super().__init__(memo, context._trace_parameter)
        self._context = context

    def children(self, path: str) -> dict[str, Any]:
        values, read = self._memo.children(path)
        shared = self._context.shared
        assert shared is not None
        self._context.replay(shared.trace_entries_of(read))
        return dict(values)


class _Numbers:
    """Per-sandbox sequences handed out in memory and written back once per chunk."""

    def __init__(self, session: Session, sandbox_id: str) -> None:
        self.session = session
        self.sandbox_id = sandbox_id
        self._values: dict[str, int] = {}
        self._stored: dict[str, int | None] = {}

    def next(self, name: str) -> int:
        if name not in self._values:
            stored = self.session.scalar(
                select(Counter.value)
                .where(Counter.sandbox_id == self.sandbox_id, Counter.name == name)
                .with_for_update()
            )
            self._stored[name] = stored
            self._values[name] = stored or 0
        self._values[name] += 1
        return self._values[name]

    def write(self) -> None:
        """The values handed out so far, stored."""
        counters = Counter.__table__
        for name, value in self._values.items():
            stored = self._stored[name]
            if stored == value:
                continue
            if stored is None:
                self.session.execute(
                    insert(counters).values(sandbox_id=self.sandbox_id, name=name, value=value)
                )
            else:
                self.session.execute(
                    update(counters)
                    .where(counters.c.sandbox_id == self.sandbox_id, counters.c.name == name)
                    .values(value=value)
                )
            self._stored[name] = value


class _Shared:
    """What every row's context shares: the clock's period, parameters, trace entries,
    numbers and new ids."""

    def __init__(
        self,
        parameter_set: ParameterSet,
        variant: RuleVariant,
        period: PeriodInfo,
        numbers: _Numbers,
        ids: _Ids,
    ) -> None:
        self.parameter_set = parameter_set
        self.variant = variant
        self.period = period
        self.numbers = numbers
        self.ids = ids
        self._views: dict[date, _MemoView] = {}
        #: a parameter value's trace entry and a key telling equal entries apart, by id
        self.trace_entries: dict[int, tuple[dict[str, Any], int]] = {}
        self._keys: dict[tuple[Any, ...], int] = {}
        self._entries_of: dict[int, tuple[tuple[dict[str, Any], int], ...]] = {}
        self._values: list[Any] = []  # keeps the ids above valid
        #: the distinct shared entries, by key: the job's ``trace_entries``
        self.distinct_entries: list[dict[str, Any]] = []
        #: a shared entry's key, by the entry's id
        self.entry_keys: dict[int, int] = {}

    def view(self, on_date: date) -> _MemoView:
        memo = self._views.get(on_date)
        if memo is None:
            memo = self._views[on_date] = _MemoView(self.parameter_set, on_date)
        return memo

    def trace_entries_of(
        self, values: tuple[ParameterValue, ...]
    ) -> tuple[tuple[dict[str, Any], int], ...]:
        found = self._entries_of.get(id(values))
        if found is None:
            found = tuple(self.trace_entry(value) for value in values)
            self._entries_of[id(values)] = found
            self._values.append(values)  # type: ignore[arg-type]
        return found

    def trace_entry(self, value: ParameterValue) -> tuple[dict[str, Any], int]:
        """The trace entry of a parameter value, made by the pipeline's own code, and its
        key: equal entries have the same key (the pipeline keeps the first of them)."""
        cached = self.trace_entries.get(id(value))
        if cached is None:
            probe = SimpleNamespace(trace=[])
            SandboxContext._trace_parameter(probe, value)  # type: ignore[arg-type]
            (entry,) = probe.trace
            key = self._keys.setdefault(tuple(entry.items()), len(self._keys))
            if key == len(self.distinct_entries):
                self.distinct_entries.append(entry)
            cached = self.trace_entries[id(value)] = (entry, key)
            self._values.append(value)
            self.entry_keys[id(entry)] = key
        return cached


@dataclass
class BulkContext(BusinessContext):
    """A row's business context in a set-based batch (see the module docstring)."""

    shared: _Shared | None = None
    traced: set[int] = field(default_factory=set)
    #: the id of the row's business (办件), once the row is valid
    business_id: int | None = None

    @property
    def variant(self) -> RuleVariant:  # type: ignore[override]
        assert self.shared is not None
        return self.shared.variant

    @property
    def period(self) -> PeriodInfo:  # type: ignore[override]
        assert self.shared is not None
        return self.shared.period

    def parameters(self, on_date: date | Month | None = None) -> Any:  # a traced view
        assert self.shared is not None
        if on_date is None:  # (not kept on the context: a view refers to its context)
            return _RowView(self.shared.view(self.today), self)
        if isinstance(on_date, Month):
            on_date = on_date.first_day()
        return _RowView(self.shared.view(_day(on_date)), self)

    def _trace_parameter(self, value: ParameterValue) -> None:
        shared = self.shared
        assert shared is not None
        entry, key = shared.trace_entries.get(id(value)) or shared.trace_entry(value)
        if key not in self.traced:
            self.traced.add(key)
            self.trace.append(entry)

    def replay(self, entries: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Trace parameter reads made once for the file, as if this row made them."""
        traced = self.traced
        for entry, key in entries:
            if key not in traced:
                traced.add(key)
                self.trace.append(entry)

    def next_number(self, name: str) -> int:
        assert self.shared is not None
        return self.shared.numbers.next(name)

    def new_ids(self, table: Table, count: int) -> list[int]:
        """Ids for rows this row's business inserts (written with its chunk)."""
        assert self.shared is not None
        return self.shared.ids.take(table, count)


# --- the generic run ---------------------------------------------------------------------------


#: a table's new rows, each with its ``id`` (see ``BulkContext.new_ids``)
Inserts = list[tuple[Table, list[dict[str, Any]]]]


class _Ids:
    """New ids per table, drawn from the writer in blocks and handed out in order."""

    def __init__(self, writer: RowWriter, block: int) -> None:
        self.writer = writer
        self.block = block
        self._free: dict[str, tuple[list[int], int]] = {}  # ids drawn, and the next to give

    def take(self, table: Table, count: int) -> list[int]:
        free, given = self._free.get(table.name, ((), 0))
        if len(free) - given < count:
            free = [*free[given:], *self.writer.allocate_ids(table, max(self.block, count))]
            given = 0
        self._free[table.name] = (free, given + count)  # type: ignore[assignment]
        return free[given : given + count]


@dataclass
class _Done:
    """A valid row waiting for its chunk to be written."""

    index: int
    row_number: int
    payload: dict[str, Any]
    context: BulkContext
    business_id: int
    business_no: str
    result: ItemResult
    inserts: Inserts


class BulkBatch:
    """A set-based batch of one item.  The run is generic; an item's subclass says which
    facts to preload (:meth:`preload`) and what a valid row inserts (:meth:`effects`)."""

    def __init__(self, item: BusinessItem, platform: Platform) -> None:
        self.item = item
        self.platform = platform

    @staticmethod
    def usable(platform: Platform) -> bool:
        """False when the row-by-row path must be taken (see the module docstring)."""
        if not platform.settings.get("batch.bulk", True):
            return False
        hook = platform.hook
        return not hook.apply_business.get_hookimpls() and not hook.business_done.get_hookimpls()

    # -- what an item provides ----------------------------------------------------------------
    def validate(self, ctx: BulkContext, payload: dict[str, Any]) -> None:
        """A row's rules: the item's own ``validate`` (an item may read what does not
        depend on the row once per file, as long as each row's trace says so)."""
        self.item.validate(ctx, payload)

    def preload(self, session: Session, sandbox_id: str, payloads: Sequence[dict[str, Any]]) -> Any:
        """The facts provider for ``BusinessContext.facts`` (``None``: the session)."""
        return None

    def effects(self, ctx: BulkContext, payload: dict[str, Any]) -> tuple[ItemResult, Inserts]:
        """What a valid row reports and inserts, in the order the pipeline records them;
        each row has its ``id`` (``ctx.new_ids``) and refers to the row's business by
        ``ctx.business_id``."""
        raise NotImplementedError

    # -- the run ------------------------------------------------------------------------------
    def process(
        self,
        session: Session,
        sandbox_id: str,
        job: BatchJob,
        payloads: Sequence[tuple[int, dict[str, Any]]],
        consulted: dict[int, dict[str, Any] | Refused],
        *,
        actor: Actor = SYSTEM,
        channel: str = "网上大厅",
    ) -> list[dict[str, Any]]:
        """Every row of a checked file, in the caller's transaction; the per-row results."""
        run = _Run(self, session, sandbox_id, job, actor, channel)
        with gc_paused():  # millions of small objects and no reference cycles
            try:
                return run.process(payloads, consulted)
            finally:
                run.writer.close()


class _Run:
    def __init__(
        self,
        bulk: BulkBatch,
        session: Session,
        sandbox_id: str,
        job: BatchJob,
        actor: Actor,
        channel: str,
    ) -> None:
        platform = bulk.platform
        item = bulk.item
        self.bulk, self.platform, self.item = bulk, platform, item
        self.session, self.sandbox_id, self.job = session, sandbox_id, job
        self.actor, self.channel = actor, channel
        sandbox = session.get(Sandbox, sandbox_id)
        assert sandbox is not None  # the batch has just stored its file in it
        self.sandbox = sandbox
        unit = session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
        self.unit = unit
        self.now = SandboxClock(sandbox.clock_frozen_at).now()
        self.city = platform.city(unit.city_code if unit is not None else sandbox.location_city)
        today = self.now.date()
        variant = platform.rule_variant(self.city, today)
        period = platform.period_on(today, self.city)
        dialect = session.get_bind().dialect
        serializer = getattr(dialect, "_json_serializer", None) or json.dumps
        self.dumps: Callable[[Any], str] = serializer
        self.writer = RowWriter(session.connection())
        self.writer.reserve_cache(BATCH_CACHE_KIB)
        self.shared = _Shared(
            platform.parameters_for(self.city),
            variant,
            period,
            _Numbers(session, sandbox_id),
            _Ids(self.writer, CHUNK_ROWS),
        )
        # The pipeline's gates (Platform.submit_in) do not depend on the row.
        self.gate: Refused | None = None
        stranger = actor.unit_id is not None and (unit is None or unit.sandbox_id != sandbox_id)
        if stranger or (item.needs_unit and unit is None and actor.role != "counter"):
            self.gate = NOT_LOGGED_IN.refuse()  # an actor of another sandbox is nobody here
        elif not may_do(actor, item.code):
            self.gate = NOT_GRANTED.refuse(item=item.name)
        elif item.closed_in(period):
            self.gate = variant.closed_error.refuse()

    def process(
        self,
        payloads: Sequence[tuple[int, dict[str, Any]]],
        consulted: dict[int, dict[str, Any] | Refused],
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        facts = None
        if self.gate is None:
            facts = self.bulk.preload(self.session, self.sandbox_id, [p for _, p in payloads])
        pending: list[_Done] = []
        hook = self.platform.hook
        columns = self.item.batch_columns
        for row_number, payload in payloads:
            answers = consulted.get(row_number, {})
            if isinstance(answers, Refused):
                results.append(failed_row(row_number, answers.problems, columns))
                continue
            if self.gate is not None:
                results.append(failed_row(row_number, self.gate.problems, columns))
                continue
            ctx = self._context(answers, facts)
            try:
                self.bulk.validate(ctx, payload)
                problems = [
                    problem
                    for found in hook.validate_business(
                        context=ctx, item=self.item, payload=payload
                    )
                    if found
                    for problem in found
                ]
                if problems:
                    raise Refused(*problems)
            except Refused as refused:
                results.append(failed_row(row_number, refused.problems, columns))
                continue
            business_no = f"{ctx.today:%Y%m%d}{ctx.next_number('business'):08d}"
            business_id = ctx.business_id = ctx.new_ids(BUSINESSES, 1)[0]
            result, inserts = self.bulk.effects(ctx, payload)
            pending.append(
                _Done(
                    len(results), row_number, payload, ctx, business_id, business_no, result,
                    inserts,
                )
            )  # fmt: skip
            results.append({})  # filled in when its chunk is written
            if len(pending) >= CHUNK_ROWS:
                self._write(pending, results)
                pending = []
        if pending:
            self._write(pending, results)
        if self.shared.distinct_entries:
            self.job.trace_entries = self.shared.distinct_entries
        return results

    def _context(self, consulted: dict[str, Any], facts: Any) -> BulkContext:
        return BulkContext(
            platform=self.platform,
            session=self.session,
            sandbox=self.sandbox,
            city=self.city,
            now=self.now,
            item=self.item,
            actor=self.actor,
            unit=self.unit,
            channel=self.channel,
            consulted=consulted or {},
            facts=facts,
            shared=self.shared,
        )

    # -- writing a chunk ---------------------------------------------------------------------
    def _trace_json(self, trace: list[dict[str, Any]]) -> str:
        """The row's trace as stored: the parameter entries the file shares are references
        to the job's ``trace_entries`` — ``{"$entry": k}``, or ``{"$entries": [k, n]}`` for
        ``n`` entries in a row from ``k`` (see ``models.stored_trace``)."""
        keys = self.shared.entry_keys
        items: list[Any] = []  # dicts, or [first, count] of a run of shared entries
        for entry in trace:
            key = keys.get(id(entry))
            if key is None:
                items.append(entry)
                continue
            last = items[-1] if items else None
            if isinstance(last, list) and last[0] + last[1] == key:
                last[1] += 1
            else:
                items.append([key, 1])
        parts: list[Any] = [
            item
            if isinstance(item, dict)
            else {TRACE_ENTRY_REF: item[0]}
            if item[1] == 1
            else {TRACE_ENTRIES_REF: item}
            for item in items
        ]
        return self.dumps(parts)

    def _write(self, pending: list[_Done], results: list[dict[str, Any]]) -> None:
        period = self.shared.period
        unit_id = self.unit.id if self.unit is not None else None
        dumps = self.dumps
        businesses = [
            {
                "id": done.business_id,
                "sandbox_id": self.sandbox_id,
                "business_no": done.business_no,
                "item_code": self.item.code,
                "item_name": self.item.name,
                "unit_id": unit_id,
                "person_id": done.result.person_id,
                "actor": self.actor.label,
                "channel": self.channel,
                "submitted_at": self.now,
                "period_start": period.period_start,
                "period_end": period.period_end,
                "fee_month": str(period.fee_month),
                "batch_job_id": self.job.id,
                "payload": dumps(done.payload),
                "result": dumps(
                    {
                        "message": done.result.message,
                        "data": done.result.data,
                        "notices": done.result.notices,
                    }
                ),
                "trace": self._trace_json(done.context.trace),
            }
            for done in pending
        ]
        tables: dict[Table, list[dict[str, Any]]] = {BUSINESSES: businesses}
        effects: list[dict[str, Any]] = []
        for done in pending:  # recorded as the pipeline records them (runs of ids merged)
            recorder = EffectRecorder(self.session, self.sandbox_id, done.business_id)
            for table, rows in done.inserts:
                tables.setdefault(table, []).extend(rows)
                # str(): not quoted_name, which sqlite3 adapts
                recorder.record_inserts(str(table.name), [row["id"] for row in rows])
            effects += recorder.effects
        tables[BusinessEffect.__table__] = effects
        for table in sorted(tables, key=INSERT_ORDER.index):  # a row after those it refers to
            serialised = ("payload", "result", "trace") if table is BUSINESSES else ()
            self.writer.insert(table, tables[table], json_text=serialised, want_ids=False)
        self.shared.numbers.write()
        for done in pending:
            result = done.result
            results[done.index] = done_row(
                done.row_number, done.business_no, result.message, result.data, result.notices
            )


# --- 用人单位用工参保登记 --------------------------------------------------------------------------

EMPLOYMENTS = Employment.__table__
RELATIONS = InsuredRelation.__table__
LINES = ContributionLine.__table__


class EnrolmentBulk(BulkBatch):
    """Batch 用人单位用工参保登记 (I3-12): the rules of ``EmploymentEnrolment.check``, the
    effects of ``enrol`` (employment, relations, back pay of ``generate_backpay``)."""

    def __init__(self, item: BusinessItem, platform: Platform) -> None:
        super().__init__(item, platform)
        #: the rules of I3 read once for the file (or why they refuse every row), and the
        #: trace entries of what they read, replayed on every row
        self._rules: EnrolmentRules | Refused | None = None
        self._rules_read: tuple[tuple[dict[str, Any], int], ...] = ()
        self._amounts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._rates: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._bases: dict[tuple[int, str], Decimal] = {}

    @classmethod
    def offer(cls, item: BusinessItem, platform: Platform) -> EnrolmentBulk | None:
        from plugins.items.employment_enrolment import EmploymentEnrolment

        if type(item).apply is not EmploymentEnrolment.apply or not cls.usable(platform):
            return None
        return cls(item, platform)

    def validate(self, ctx: BulkContext, payload: dict[str, Any]) -> None:
        """``EmploymentEnrolment.validate``, with ``EnrolmentRules.read`` done once."""
        from plugins.items.employment_enrolment import EnrolmentRules

        rules = self._rules
        if rules is None:  # the first row reads them, traced as usual
            assert ctx.shared is not None
            before = len(ctx.trace)
            try:
                rules = self._rules = EnrolmentRules.read(ctx)
            except Refused as refused:
                rules = self._rules = refused
            keys = ctx.shared.entry_keys
            self._rules_read = tuple((entry, keys[id(entry)]) for entry in ctx.trace[before:])
        else:
            ctx.replay(self._rules_read)
        if isinstance(rules, Refused):
            raise rules
        ctx.scratch["plan"] = rules.check(ctx, payload)

    def preload(
        self, session: Session, sandbox_id: str, payloads: Sequence[dict[str, Any]]
    ) -> PreloadedFacts:
        from plugins.items import common

        numbers = []
        for payload in payloads:
            try:
                numbers.append(common.check_id_number(payload))
            except Refused:
                continue  # the row will be refused for it
        return PreloadedFacts.load(session, sandbox_id, numbers)

    def effects(self, ctx: BulkContext, payload: dict[str, Any]) -> tuple[ItemResult, Inserts]:
        from plugins.items.employment_enrolment import (
            SEPARATE_BACKPAY_NOTICE,
            EmploymentEnrolment,
            EnrolmentPlan,
            employment_values,
            enrolment_result,
            relation_values,
        )

        plan: EnrolmentPlan = ctx.scratch.get("plan") or self.item.check(ctx, payload)  # type: ignore[attr-defined]
        employment = employment_values(ctx, payload, plan)
        (employment["id"],) = ctx.new_ids(EMPLOYMENTS, 1)
        relations = []
        relation_ids = ctx.new_ids(RELATIONS, len(plan.insurance_codes))
        for code, relation_id in zip(plan.insurance_codes, relation_ids, strict=True):
            values = relation_values(ctx, plan, code, employment["id"])
            values["id"] = relation_id
            relations.append(values)
            if ctx.facts is not None:  # later rows of the file see this registration
                ctx.facts.add_relation(plan.person.id, values)
        notices: list[dict[str, Any]] = []
        inserts: Inserts = [(EMPLOYMENTS, [employment]), (RELATIONS, relations)]
        if ctx.variant.backpay_path == EmploymentEnrolment.name:
            lines, line_rows = self._backpay(
                ctx, plan.person, relations, plan.backpay.online, plan.base.declared
            )
            notices += [n for n in [plan.backpay.notice()] if n]
            if line_rows:
                inserts.append((LINES, line_rows))
        else:  # PER-7: the old system paid back through its own module
            lines = []
            if plan.start < plan.backpay.current:
                notices.append(SEPARATE_BACKPAY_NOTICE)
                ctx.note("back pay through its own path", behaviour_id="PER-7")
        return enrolment_result(plan, lines, notices), inserts

    def _backpay(
        self,
        ctx: BulkContext,
        person: Any,
        relations: list[dict[str, Any]],
        months: tuple[Month, ...],
        declared_base: Decimal,
    ) -> tuple[list[BackpayLine], list[dict[str, Any]]]:
        """``simulator.backpay.generate_backpay`` as rows: the same months, bases, amounts,
        grouping into lines and 补退流水号, and the same trace."""
        unit = ctx.unit
        industry_class = (unit.industry_class if unit else None) or 1
        tier = unit.floating_tier if unit else None
        sandbox_id = ctx.sandbox.id
        business_id = ctx.business_id
        day = f"{ctx.today:%Y%m%d}"
        declared = str(declared_base)
        lines: list[BackpayLine] = []
        rows: list[dict[str, Any]] = []
        if not months:
            return lines, rows
        for relation in relations:
            code, person_id, unit_id, relation_id = (
                relation["insurance_code"],
                relation["person_id"],
                relation["unit_id"],
                relation["id"],
            )
            allowances = [disability_base(person, code, str(month)) for month in months]  # F-3
            segments, reads = self._segments(
                ctx, code, months, allowances, declared_base, declared, industry_class, tier
            )
            ctx.replay(reads)
            note_allowance_months(
                ctx, [str(m) for m, a in zip(months, allowances, strict=True) if a is not None]
            )
            line_ids = iter(ctx.new_ids(LINES, len(months)))
            for first, last, count, base, unit_total, personal_total, month_rows in segments:
                serial = f"BT{day}{ctx.next_number('backpay'):06d}"
                lines.append(
                    BackpayLine(code, first, last, count, base, unit_total, personal_total, serial)
                )
                for fee_month, unit_amount, personal_amount in month_rows:
                    rows.append(
                        {
                            "id": next(line_ids),
                            "sandbox_id": sandbox_id,
                            "person_id": person_id,
                            "unit_id": unit_id,
                            "relation_id": relation_id,
                            "insurance_code": code,
                            "fee_month": fee_month,
                            "base": base,
                            "unit_amount": unit_amount,
                            "personal_amount": personal_amount,
                            "kind": "backpay",
                            "serial_no": serial,
                            "business_id": business_id,
                        }
                    )
        if lines:
            ctx.note(
                "back pay generated",
                behaviour_id="PER-4",
                months=len(months),
                first=str(months[0]),
                last=str(months[-1]),
            )
        return lines, rows

    def _segments(
        self,
        ctx: BulkContext,
        code: str,
        months: tuple[Month, ...],
        allowances: list[Decimal | None],
        declared_base: Decimal,
        declared: str,
        industry_class: int,
        tier: int | None,
    ) -> tuple[list[list[Any]], list[tuple[dict[str, Any], int]]]:
        """The back pay of one insurance type over ``months`` at a declared base, grouped
        as ``generate_backpay`` groups it into lines (consecutive months with the same
        base): ``[first, last, months, base, unit total, personal total, [(month,
        unit amount, personal amount)]]`` per line, and the trace entries of what the
        months read, in order.  ``allowances``: per month, the base that replaces the
        declared one (F-3's disability allowance), or ``None``."""
        segments: list[list[Any]] = []
        reads: list[tuple[dict[str, Any], int]] = []
        for month, allowance in zip(months, allowances, strict=True):
            base, unit_amount, personal_amount, fee_month, month_reads = self._amount(
                ctx, code, month, declared_base, declared, industry_class, tier, allowance
            )
            reads += month_reads
            last = segments[-1] if segments else None
            if last is None or last[3] != base or last[1].index + 1 != month.index:
                last = [month, month, 0, base, Decimal(0), Decimal(0), []]
                segments.append(last)
            last[1] = month
            last[2] += 1
            last[4] += unit_amount
            last[5] += personal_amount
            last[6].append((fee_month, unit_amount, personal_amount))
        return segments, reads

    def _amount(
        self,
        ctx: BulkContext,
        code: str,
        month: Month,
        declared_base: Decimal,
        declared: str,
        industry_class: int,
        tier: int | None,
        allowance: Decimal | None = None,
    ) -> tuple[Any, ...]:
        """A month's base (``clamp_base``) and amounts (PER-8: base × the rates that
        ``monthly_contribution`` gives for the type and month, by ``round_money``), the
        month as text, and the trace entries of the parameters read (the same whatever
        the base), computed once per file for equal inputs.  An ``allowance`` (F-3) is
        the base, after the floor and ceiling have been read as the pipeline reads them."""
        key = (code, month.index, declared, allowance)
        found = self._amounts.get(key)
        if found is not None:
            return found
        assert ctx.shared is not None
        view = ctx.shared.view(month.first_day())
        rates = self._rates.get((code, month.index, industry_class, tier))
        if rates is None:  # the first time for this type and month: the pipeline's way
            read: list[ParameterValue] = []
            params = _TracedView(view, read.append)
            base = clamp_base(declared_base, params).effective
            if allowance is not None:
                base = allowance
            sample = monthly_contribution(
                code, base, params, industry_class=industry_class, floating_tier=tier
            )
            reads = tuple(ctx.shared.trace_entry(value) for value in read)
            rates = (sample.unit_rate, sample.personal_rate, str(month), reads)
            self._rates[(code, month.index, industry_class, tier)] = rates
            amounts = (sample.unit_amount, sample.personal_amount)
        else:
            base = self._bases.get((month.index, declared))
            if base is None:
                base = self._bases[(month.index, declared)] = clamp_base(
                    declared_base, view
                ).effective
            if allowance is not None:
                base = allowance
            amounts = (round_money(base * rates[0]), round_money(base * rates[1]))
        found = self._amounts[key] = (base, *amounts, rates[2], rates[3])
        return found
