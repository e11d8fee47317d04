"""Fast multi-row inserts: many rows of a table at once, with the dialect's own processing.

Used where tens of thousands of rows go in at once — a batch declaration's 办件 and
their effects (:mod:`simulator.bulk`), a world's people and relations
(:mod:`simulator.worlds`).  On SQLite the rows bypass SQLAlchemy's per-row parameter
handling (the values are processed exactly as Core would) and go in as multi-row
INSERTs; elsewhere they go through Core ``insert()`` executemany ("insertmanyvalues" on
PostgreSQL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, Text, bindparam, cast, func, insert, select

#: rows in one multi-row INSERT on SQLite (fewer if the statement would exceed its
#: limit of variables)
ROWS_PER_STATEMENT = 1000


class RowWriter:
    """Inserts many rows into a table at once, and gives their ids.

    SQLite cannot return the ids of a multi-row INSERT in parameter order (SQLAlchemy
    then inserts row by row), but it has one writer at a time: the caller's transaction
    holds the write lock (a batch since it stored the file, a world load since it
    allocated its ids), so the ids are given here (:meth:`allocate_ids`), after the
    table's greatest.  The rows go in as multi-row ``INSERT … VALUES (…), (…)``
    statements of up to :data:`ROWS_PER_STATEMENT` rows, with the dialect's own bind
    processors (what SQLAlchemy would send, without its per-row overhead): one
    ``sqlite3_step`` inserts them all, which is faster than an executemany's step per
    row.  Rows that carry their own ``id`` are inserted with it (``want_ids=False``).
    Other databases get Core ``INSERT … RETURNING id`` executemany with
    ``sort_by_parameter_order`` ("insertmanyvalues", batched on PostgreSQL).

    A caller can draw ids before its rows are written (:meth:`allocate_ids`), so that
    rows refer to each other at once.  ``json_text`` names JSON columns whose values the
    caller has already serialised (a batch's 办件).
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.explicit_ids = self.dialect.name == "sqlite"
        self._statements: dict[tuple[Any, ...], tuple[str, list[Any], tuple[Any, ...]]] = {}
        self._next_ids: dict[str, int] = {}
        self._multi_sql: dict[tuple[str, int], str] = {}
        self._restore_cache: int | None = None
        self._variables: int | None = None

    def close(self) -> None:
        """Give the connection back as it was (its page cache, see :meth:`reserve_cache`)."""
        if self._restore_cache is not None:
            dbapi = self.connection.connection.dbapi_connection
            dbapi.execute(f"PRAGMA cache_size = {self._restore_cache}")
            self._restore_cache = None

    def reserve_cache(self, kibibytes: int) -> None:
        """SQLite: a page cache of at least ``kibibytes`` for this connection until
        :meth:`close` (a big transaction's B-trees then stay in memory until it commits)."""
        if not self.explicit_ids:
            return
        dbapi = self.connection.connection.dbapi_connection
        (size,) = dbapi.execute("PRAGMA cache_size").fetchone()
        wanted = -kibibytes  # negative: in KiB, not pages
        if size >= 0 or size > wanted:  # pages, or fewer KiB than wanted
            self._restore_cache = size
            dbapi.execute(f"PRAGMA cache_size = {wanted}")

    def allocate_ids(self, table: Table, count: int) -> list[int]:
        """``count`` new ids of ``table``, for rows the caller inserts with them later
        (so that rows can refer to each other before any is written).  SQLite: counted on
        from the table's greatest id, read once (the caller's transaction writes alone,
        and every insert of the table goes through this writer); PostgreSQL: drawn from
        the column's sequence."""
        if count <= 0:
            return []
        if self.explicit_ids:
            first = self._next_ids.get(table.name)
            if first is None:
                first = (self.connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            self._next_ids[table.name] = first + count
            return list(range(first, first + count))
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(
            self.connection.execute(
                select(func.nextval(sequence)).select_from(func.generate_series(1, count))
            ).scalars()
        )

    def insert(
        self,
        table: Table,
        rows: list[dict[str, Any]],
        *,
        json_text: Sequence[str] = (),
        want_ids: bool = True,
    ) -> list[int]:
        if not rows:
            return []
        if self.explicit_ids:
            return self._executemany(table, rows, json_text, want_ids)
        statement: Any = insert(table)
        if json_text:
            statement = statement.values(
                {
                    name: cast(bindparam(f"{name}__json", type_=Text()), table.c[name].type)
                    for name in json_text
                }
            )
            rows = [
                {(f"{k}__json" if k in json_text else k): v for k, v in row.items()} for row in rows
            ]
        if not want_ids:
            self.connection.execute(statement, rows)
            return []
        returning = statement.returning(table.c.id, sort_by_parameter_order=True)
        return list(self.connection.execute(returning, rows).scalars())

    def _executemany(
        self,
        table: Table,
        rows: list[dict[str, Any]],
        json_text: Sequence[str],
        want_ids: bool,
    ) -> list[int]:
        keys = tuple(rows[0])
        sql, processors, defaults = self._statement(table, keys, json_text, want_ids)
        ids: list[int] = []
        if want_ids:
            ids = self.allocate_ids(table, len(rows))
        # Column by column (each processor mapped over its column), then interleaved in C.
        columns: list[Iterable[Any]] = [ids] if want_ids else []
        for key, process in zip(keys, processors, strict=True):
            values = list(map(itemgetter(key), rows))
            columns.append(list(map(process, values)) if process else values)
        columns += [repeat(value, len(rows)) for value in defaults]
        flat = list(chain.from_iterable(zip(*columns, strict=True)))

        width = len(columns)
        per_statement = max(1, min(ROWS_PER_STATEMENT, self._variable_limit() // width))
        step = per_statement * width
        for start in range(0, len(flat), step):
            part = flat[start : start + step]
            statement = self._rows_sql(sql, len(part) // width)
            self.connection.exec_driver_sql(statement, tuple(part))
        return ids

    def _rows_sql(self, sql: str, count: int) -> str:
        """``sql`` (one row's INSERT) for ``count`` rows."""
        found = self._multi_sql.get((sql, count))
        if found is None:
            head, _, row = sql.partition(" VALUES ")
            found = self._multi_sql[(sql, count)] = f"{head} VALUES {', '.join([row] * count)}"
        return found

    def _variable_limit(self) -> int:
        """How many ``?`` one SQLite statement may have (999 before SQLite 3.32)."""
        if self._variables is None:
            dbapi = self.connection.connection.dbapi_connection
            getlimit = getattr(dbapi, "getlimit", None)
            self._variables = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999
        return self._variables

    def _statement(
        self,
        table: Table,
        keys: tuple[str, ...],
        json_text: Sequence[str],
        want_ids: bool,
    ) -> tuple[str, list[Any], tuple[Any, ...]]:
        """``INSERT INTO t (…) VALUES (?, …)`` in SQLite's paramstyle, the bind processors
        of ``keys``, and the values of the other columns' Python-side defaults (as Core
        would fill them in), processed."""
        cache_key = (table.name, keys, want_ids)
        cached = self._statements.get(cache_key)
        if cached is None:
            dialect = self.dialect

            def processor(column: Any) -> Any:
                return column.type.dialect_impl(dialect).bind_processor(dialect)

            processors = [None if key in json_text else processor(table.c[key]) for key in keys]
            names = (["id"] if want_ids else []) + [table.c[key].name for key in keys]
            defaults = []
            for column in table.columns:
                default = column.default
                if column.key in keys or column.key == "id":
                    continue
                if default is None:
                    continue
                elif default.is_scalar:
                    value = default.arg
                elif default.is_callable:
                    value = default.arg(None)
                else:  # a SQL expression: let the database compute it
                    continue
                process = processor(column)
                names.append(column.name)
                defaults.append(process(value) if process else value)
            quote = dialect.identifier_preparer.quote
            sql = (
                f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                f"({', '.join(quote(name) for name in names)}) "
                f"VALUES ({', '.join('?' for _ in names)})"
            )
            cached = self._statements[cache_key] = (sql, processors, tuple(defaults))
        return cached
