"""Fast multi-row inserts: one executemany per table, with the dialect's own processing.

Used where tens of thousands of rows go in at once — a batch declaration's 办件 and
their effects (:mod:`simulator.bulk`), a world's people and relations
(:mod:`simulator.worlds`).  On SQLite the rows bypass SQLAlchemy's per-row parameter
handling (the values are processed exactly as Core would); elsewhere they go through
Core ``insert()`` executemany ("insertmanyvalues" on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, Text, bindparam, cast, func, insert, select


class RowWriter:
    """Inserts many rows into a table with one executemany, and gives their ids.

    SQLite cannot return the ids of a multi-row INSERT in parameter order (SQLAlchemy
    then inserts row by row), but it has one writer at a time: the caller's transaction
    holds the write lock (a batch since it stored the file, a world load since it
    allocated its ids), so the ids are given here, after the table's greatest, and the
    rows go through one DBAPI ``executemany`` with the dialect's own bind processors
    (what SQLAlchemy would send, without its per-row overhead).  Rows that carry their
    own ``id`` are inserted with it (``want_ids=False``).  Other databases get Core
    ``INSERT … RETURNING id`` executemany with ``sort_by_parameter_order``
    ("insertmanyvalues", batched on PostgreSQL).

    ``json_text`` names JSON columns whose values the caller has already serialised
    (a batch builds each 办件's trace from cached texts of its shared entries).
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.explicit_ids = self.dialect.name == "sqlite"
        self._statements: dict[tuple[Any, ...], tuple[str, list[Any], tuple[Any, ...]]] = {}

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
        get = itemgetter(*keys)
        convert = [(index, process) for index, process in enumerate(processors) if process]
        ids: list[int] = []
        if want_ids:
            first = (self.connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            ids = list(range(first, first + len(rows)))
        params: list[tuple[Any, ...]] = []
        for number, row in enumerate(rows):
            values = list(get(row)) if len(keys) > 1 else [get(row)]
            for index, process in convert:
                values[index] = process(values[index])
            if want_ids:
                values.insert(0, ids[number])
            params.append((*values, *defaults))
        self.connection.exec_driver_sql(sql, params)
        return ids

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
