"""``simulator.db.rows.RowWriter``: the batch's writer (issue 5).

In the background (SQLite) its inserts run on a writer thread while the caller goes on;
these tests hold it to what the batch relies on: ids given at once and kept, statements
in the order asked, other statements on the connection waiting for the writer, and a
failure on the writer raised in the caller's thread so that the transaction rolls back
and nothing is kept.
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


def test_background_inserts_keep_their_ids_and_their_order(engine: Engine) -> None:
    rows = ROWS_PER_STATEMENT * 2 + 7  # several multi-row statements and a short one
    with engine.begin() as connection:
        writer = RowWriter(connection, background=True)
        parent_ids = writer.insert(parents, [{"name": f"p{n}"} for n in range(rows)])
        # children refer to parents that may still be waiting on the writer thread
        writer.insert(children, [{"parent_id": pid, "label": f"c{pid}"} for pid in parent_ids])
        writer.close()
    assert parent_ids == list(range(1, rows + 1))
    with engine.connect() as connection:
        stored = connection.execute(
            select(children.c.parent_id, parents.c.name).join(parents)
        ).all()
    assert sorted(stored) == [(pid, f"p{pid - 1}") for pid in parent_ids]


def test_other_statements_wait_for_the_writer(engine: Engine) -> None:
    with engine.begin() as connection:
        writer = RowWriter(connection, background=True)
        writer.insert(parents, [{"name": f"p{n}"} for n in range(3000)])
        # asked from this thread while the writer may still be busy: it sees every row
        assert connection.scalar(select(func.count()).select_from(parents)) == 3000
        writer.close()


def test_allocated_ids_are_the_rows_ids(engine: Engine) -> None:
    with engine.begin() as connection:
        writer = RowWriter(connection, background=True)
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


def test_a_failure_on_the_writer_is_raised_and_nothing_is_kept(engine: Engine) -> None:
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        writer = RowWriter(connection, background=True)
        try:
            writer.insert(parents, [{"name": "same"}, {"name": "other"}])
            writer.insert(parents, [{"name": "same"}])  # unique name: fails on the thread
            writer.insert(parents, [{"name": "after"}])  # skipped after the failure
        finally:
            writer.close()
    assert count(engine, parents) == 0


def test_the_page_cache_is_restored(engine: Engine) -> None:
    with engine.begin() as connection:
        dbapi = connection.connection.dbapi_connection
        (before,) = dbapi.execute("PRAGMA cache_size").fetchone()
        writer = RowWriter(connection, background=True)
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
            writer = RowWriter(connection, background=True)
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
