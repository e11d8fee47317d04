"""Where the mocked agencies keep their facts: the platform's own database.

The mocks read and write the ``mock_*`` tables (``mocks/models.py``) of the same
database as the platform, so a world file, the admin API and the CLI fill them
with the platform's tables, and a sandbox's reset or deletion empties them too.

One mechanism finds the database inside a request: a :class:`MocksState` in
``app.extensions["shebao_sim_mocks"]``.  The standalone mock server
(``mocks.app.create_mocks_app``) installs it with its own
:class:`~simulator.db.Database`; in the simulator's application the mock
blueprints install it when they are registered, from the platform's database
(:func:`install_from_platform`).

Each mock sees the sandbox's clock (``sandboxes.clock_frozen_at``), never the
wall clock directly: verification codes expire and fault schedules end on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import select
from sqlalchemy.orm import Session

from mocks.models import IdentityRecord, MarketRecord
from simulator.clock import SandboxClock
from simulator.db import Database
from simulator.db.models import Sandbox

EXTENSION = "shebao_sim_mocks"

#: Over real HTTP the ``slow`` fault really sleeps, but never longer than this:
#: a declared latency of an hour must not hold a server thread for an hour.
MAX_SLEEP_SECONDS = 30.0


@dataclass
class MocksState:
    """What the mocks of one Flask application share."""

    database: Database
    max_sleep_seconds: float = MAX_SLEEP_SECONDS


def install(
    app: Flask, database: Database, *, max_sleep_seconds: float = MAX_SLEEP_SECONDS
) -> None:
    """Give ``app``'s mocks their database (once; a second call keeps the first)."""
    app.extensions.setdefault(EXTENSION, MocksState(database, max_sleep_seconds))


def install_from_platform(setup: BlueprintSetupState) -> None:
    """``record_once`` callback of the mock blueprints: use the simulator's database."""
    platform = setup.app.extensions.get("shebao_sim")
    if platform is not None:
        install(setup.app, platform.db)


def current_state() -> MocksState:
    try:
        return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError(
            "the mocks have no database: mount them in the simulator app or use create_mocks_app"
        ) from None


@contextmanager
def transaction() -> Iterator[Session]:
    """A transaction on the mocks' database (the current application's)."""
    with current_state().database.transaction() as session:
        yield session


# --- the sandbox and its clock ----------------------------------------------------------


def sandbox_exists(session: Session, sandbox_id: str) -> bool:
    return session.get(Sandbox, sandbox_id) is not None


def sandbox_now(session: Session, sandbox_id: str) -> datetime:
    """Now on the sandbox's clock; the wall clock for a sandbox this database does not hold."""
    sandbox = session.get(Sandbox, sandbox_id)
    return SandboxClock(sandbox.clock_frozen_at if sandbox is not None else None).now()


# --- 公安部人员基准信息 -----------------------------------------------------------------


def identity_record(session: Session, sandbox_id: str, id_number: str) -> IdentityRecord | None:
    return session.scalars(
        select(IdentityRecord)
        .where(IdentityRecord.sandbox_id == sandbox_id, IdentityRecord.id_number == id_number)
        .order_by(IdentityRecord.id.desc())
    ).first()


def save_identity_record(
    session: Session,
    sandbox_id: str,
    *,
    id_number: str,
    name: str,
    gender: str,
    birth_date: date,
    ethnicity: str,
    hukou_region: str,
    hukou_address: str,
) -> tuple[IdentityRecord, bool]:
    """Register or replace what public security knows of a number; ``(record, created)``."""
    record = identity_record(session, sandbox_id, id_number)
    created = record is None
    if record is None:
        record = IdentityRecord(sandbox_id=sandbox_id, id_number=id_number)
        session.add(record)
    record.name = name
    record.gender = gender
    record.birth_date = birth_date
    record.ethnicity = ethnicity
    record.hukou_region = hukou_region
    record.hukou_address = hukou_address
    session.flush()
    return record, created


def identity_records(session: Session, sandbox_id: str) -> list[IdentityRecord]:
    return list(
        session.scalars(
            select(IdentityRecord)
            .where(IdentityRecord.sandbox_id == sandbox_id)
            .order_by(IdentityRecord.id)
        )
    )


def identity_record_dict(record: IdentityRecord) -> dict[str, Any]:
    return {
        "id_number": record.id_number,
        "name": record.name,
        "gender": record.gender,
        "birth_date": record.birth_date.isoformat(),
        "ethnicity": record.ethnicity,
        "hukou_region": record.hukou_region,
        "hukou_address": record.hukou_address,
    }


# --- 市场监管 -----------------------------------------------------------------------------


def market_record(session: Session, sandbox_id: str, uscc: str) -> MarketRecord | None:
    return session.scalars(
        select(MarketRecord).where(MarketRecord.sandbox_id == sandbox_id, MarketRecord.uscc == uscc)
    ).first()


MARKET_FIELDS = (
    "name",
    "legal_rep_name",
    "legal_rep_id_type",
    "legal_rep_id_number",
    "nature",
    "is_hr_agency",
    "address",
    "region_code",
    "registered_on",
    "status",
)


def save_market_record(
    session: Session, sandbox_id: str, uscc: str, **facts: Any
) -> tuple[MarketRecord, bool]:
    """Register or replace a unit's market registration; ``(record, created)``."""
    unknown = set(facts) - set(MARKET_FIELDS)
    if unknown:
        raise TypeError(f"unknown market registration fields: {sorted(unknown)}")
    record = market_record(session, sandbox_id, uscc)
    created = record is None
    if record is None:
        record = MarketRecord(sandbox_id=sandbox_id, uscc=uscc)
        session.add(record)
    for name, value in facts.items():
        setattr(record, name, value)
    session.flush()
    return record, created


def market_records(session: Session, sandbox_id: str) -> list[MarketRecord]:
    return list(
        session.scalars(
            select(MarketRecord)
            .where(MarketRecord.sandbox_id == sandbox_id)
            .order_by(MarketRecord.id)
        )
    )


def market_unit_dict(record: MarketRecord) -> dict[str, Any]:
    """A registration in the market mock's answer format (``unit`` of ``GET /units/<uscc>``)."""
    return {
        "uscc": record.uscc,
        "name": record.name,
        "legal_rep": {
            "name": record.legal_rep_name,
            "id_type": record.legal_rep_id_type,
            "id_number": record.legal_rep_id_number,
        },
        "nature": record.nature,
        "is_hr_agency": bool(record.is_hr_agency),
        "address": record.address,
        "region_code": record.region_code,
        "registered_on": record.registered_on.isoformat(),
        "status": record.status,
    }
