"""``simulator.db.rows.RowWriter``: the writer of batches and worlds (issues 3, 5).

What they rely on: ids given at once and kept across multi-row statements, ids drawn
before the rows are written, a failure that rolls the whole transaction back, and the
connection given back with its own page cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    exc,
    func,
    select,
)

from simulator.db import make_engine
from simulator.db.rows import ROWS_PER_STATEMENT, RowWriter

metadata = MetaData()
parents = Table(
    "writer_parents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True),
)
children = Table(
    "writer_children",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", ForeignKey("writer_parents.id"), nullable=False),
    Column("label", String(20)),
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writer.db'}")  # WAL, as `serve` uses
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table)) or 0


def test_inserts_keep_their_ids_and_their_order(engine: Engine) -> None:
    rows = ROWS_PER_STATEMENT * 2 + 7  # several multi-row statements and a short one
    with engine.begin() as connection:
        writer = RowWriter(connection)
        parent_ids = writer.insert(parents, [{"name": f"p{n}"} for n in range(rows)])
        writer.insert(children, [{"parent_id": pid, "label": f"c{pid}"} for pid in parent_ids])
        writer.close()
    assert parent_ids == list(range(1, rows + 1))
    with engine.connect() as connection:
        stored = connection.execute(
            select(children.c.parent_id, parents.c.name).join(parents)
        ).all()
    assert sorted(stored) == [(pid, f"p{pid - 1}") for pid in parent_ids]


def test_allocated_ids_are_the_rows_ids(engine: Engine) -> None:
    with engine.begin() as connection:
        writer = RowWriter(connection)
        first = writer.allocate_ids(parents, 5)
        second = writer.allocate_ids(parents, 2)
        writer.insert(
            parents,
            [{"id": pid, "name": f"p{pid}"} for pid in [*second, *first]],
            want_ids=False,
        )
        writer.close()
    assert first == [1, 2, 3, 4, 5] and second == [6, 7]
    with engine.connect() as connection:
        assert connection.scalars(select(parents.c.name).order_by(parents.c.id)).all() == [
            f"p{n}" for n in range(1, 8)
        ]


def test_a_failure_rolls_everything_back(engine: Engine) -> None:
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        writer = RowWriter(connection)
        try:
            writer.insert(parents, [{"name": "same"}, {"name": "other"}])
            writer.insert(parents, [{"name": "same"}])  # unique name
        finally:
            writer.close()
    assert count(engine, parents) == 0


def test_the_page_cache_is_restored(engine: Engine) -> None:
    with engine.begin() as connection:
        dbapi = connection.connection.dbapi_connection
        (before,) = dbapi.execute("PRAGMA cache_size").fetchone()
        writer = RowWriter(connection)
        writer.reserve_cache(64 * 1024)
        assert dbapi.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
        writer.close()
        assert dbapi.execute("PRAGMA cache_size").fetchone()[0] == before


@pytest.mark.db
def test_allocated_ids_on_the_test_database(database_url: str) -> None:
    """On PostgreSQL the ids come from the column's sequence (and are the rows' ids)."""
    engine = make_engine(database_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            writer = RowWriter(connection)
            ids = writer.allocate_ids(parents, 4)
            writer.insert(parents, [{"id": pid, "name": f"db{pid}"} for pid in ids], want_ids=False)
            more = writer.insert(parents, [{"name": "db-next"}])
            writer.close()
        assert len(set(ids)) == 4 and more[0] not in ids
        with engine.connect() as connection:
            names = dict(connection.execute(select(parents.c.id, parents.c.name)).all())
        assert names == {**{pid: f"db{pid}" for pid in ids}, more[0]: "db-next"}
    finally:
        metadata.drop_all(engine)
        engine.dispose()
