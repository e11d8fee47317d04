"""Reversible effects: what a business changed, recorded so that it can be undone.

While a business applies, every row it inserts, updates or deletes through the
ORM session is recorded as a :class:`~simulator.db.models.BusinessEffect` (bulk
paths record theirs with :meth:`EffectRecorder.record_inserts`).  Undoing a
business (人员变更回退, I6-1) replays the records backwards: inserted rows are
deleted, updated columns get their old values, deleted rows come back — the
data is as if the business had never been done.

Inserts into one table with consecutive ids are kept as one record (``row_count``):
a batch of 80,000 hires writes a few records per 办件, not one per row (issue 5).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from simulator.db.models import Base, BusinessEffect

#: bookkeeping tables that are never effects of a business
UNTRACKED_TABLES = frozenset(
    {
        "businesses",
        "business_effects",
        "counters",
        "audit_log",
        "uploaded_files",
        "batch_jobs",
        "job_queue",
        "job_queue_rows",
    }
)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "$datetime":
            return datetime.fromisoformat(text)
        if tag == "$date":
            return date.fromisoformat(text)
        if tag == "$decimal":
            return Decimal(text)
        if tag == "$bytes":
            return bytes.fromhex(text)
    return value


def row_snapshot(obj: Base) -> dict[str, Any]:
    """Every column of a mapped object, JSON-safe."""
    mapper = inspect(obj).mapper
    return {col.key: _to_json(getattr(obj, col.key)) for col in mapper.column_attrs}


class EffectRecorder:
    """Records a business's effects from the session's flushes."""

    def __init__(self, session: Session, sandbox_id: str, business_id: int) -> None:
        self.session = session
        self.sandbox_id = sandbox_id
        self.business_id = business_id
        self.effects: list[dict[str, Any]] = []
        self._deleted: dict[int, dict[str, Any]] = {}

    # -- session events ----------------------------------------------------
    def __enter__(self) -> EffectRecorder:
        event.listen(self.session, "before_flush", self._before_flush)
        event.listen(self.session, "after_flush", self._after_flush)
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.session.flush()
        event.remove(self.session, "before_flush", self._before_flush)
        event.remove(self.session, "after_flush", self._after_flush)
        if exc[0] is None:
            self._write()

    @staticmethod
    def _tracked(obj: object) -> bool:
        return isinstance(obj, Base) and obj.__tablename__ not in UNTRACKED_TABLES

    def _before_flush(self, session: Session, _ctx: object, _instances: object) -> None:
        # Deleted rows must be read before the DELETE runs, while still loadable.
        for obj in session.deleted:
            if self._tracked(obj):
                self._deleted[id(obj)] = row_snapshot(obj)

    def _after_flush(self, session: Session, _ctx: object) -> None:
        for obj in session.new:
            if self._tracked(obj):
                self._add(obj.__tablename__, obj.id, "insert", None)
        for obj in session.dirty:
            if not self._tracked(obj) or not session.is_modified(obj):
                continue
            state = inspect(obj)
            before = {}
            for attr in state.mapper.column_attrs:
                history = state.attrs[attr.key].history
                if history.deleted:
                    before[attr.key] = _to_json(history.deleted[0])
            if before:
                self._add(obj.__tablename__, obj.id, "update", before)
        for obj in session.deleted:
            if self._tracked(obj):
                self._add(obj.__tablename__, obj.id, "delete", self._deleted.pop(id(obj), None))

    # -- explicit records (bulk paths) ---------------------------------------
    def record_inserts(self, table_name: str, row_ids: list[int]) -> None:
        for row_id in row_ids:
            self._add(table_name, row_id, "insert", None)

    def _add(self, table: str, row_id: int, op: str, before: dict[str, Any] | None) -> None:
        last = self.effects[-1] if self.effects else None
        if (
            op == "insert"
            and last is not None
            and last["op"] == "insert"
            and last["table_name"] == table
            and last["row_id"] + last["row_count"] == row_id
        ):
            last["row_count"] += 1
            return
        self.effects.append(
            {
                "sandbox_id": self.sandbox_id,
                "business_id": self.business_id,
                "seq": len(self.effects) + 1,
                "table_name": table,
                "row_id": row_id,
                "row_count": 1,
                "op": op,
                "before": before,
            }
        )

    def _write(self) -> None:
        if self.effects:
            self.session.execute(insert(BusinessEffect), self.effects)


def undo_business_effects(session: Session, business_id: int) -> int:
    """Replay a business's effects backwards; returns how many rows they touched."""
    tables = Base.metadata.tables
    effects = session.scalars(
        select(BusinessEffect)
        .where(BusinessEffect.business_id == business_id)
        .order_by(BusinessEffect.seq.desc())
    ).all()
    session.flush()
    undone = 0
    for effect in effects:
        table = tables[effect.table_name]
        undone += effect.row_count if effect.op == "insert" else 1
        if effect.op == "insert":
            last = effect.row_id + effect.row_count - 1
            session.execute(delete(table).where(table.c.id.between(effect.row_id, last)))
        elif effect.op == "update":
            values = {key: _from_json(v) for key, v in (effect.before or {}).items()}
            session.execute(update(table).where(table.c.id == effect.row_id).values(**values))
        elif effect.op == "delete" and effect.before is not None:
            values = {key: _from_json(v) for key, v in effect.before.items()}
            session.execute(insert(table).values(**values))
    session.expire_all()
    return undone
