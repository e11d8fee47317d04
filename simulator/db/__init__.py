"""Persistence: engine and sessions (SQLite with WAL by default, PostgreSQL by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from simulator.db.models import Base

# The mocked agencies' tables share the metadata (and the migrations).
import mocks.models  # noqa: F401  isort: skip
from simulator.db import jobs, projects  # noqa: F401  isort: skip  (issue 6 tables)
from simulator.db import records  # noqa: F401  isort: skip  (issue 9: 权益记录单)


def json_text(value: Any) -> str:
    """JSON columns' text: UTF-8 as is (not ``\\uXXXX``), by orjson.

    A batch stores tens of thousands of 办件 (payload, result, trace) at once; orjson
    writes them about ten times faster than ``json.dumps`` and the Chinese text at half
    the size.  Non-string keys become strings, as ``json.dumps`` makes them.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,
            json_serializer=json_text,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


class Database:
    """The engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def create_all(self) -> None:
        """Create the schema directly (tests); production uses ``shebao-sim db upgrade``."""
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
