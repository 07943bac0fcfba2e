"""Many rows into one table as one driver ``executemany``: what a national poll's thousands of
race and history rows go through.

Why not ``session.execute(table.insert(), rows)``: for 7,000 rows SQLAlchemy builds and
processes each row's parameters in Python (``construct_params``, a bind processor call per value:
SQLite's datetime-to-text conversion 14,000 times for two distinct times), more time than the
database spends writing them. Here the statement is compiled once per dialect, the values every
row shares are processed once, and the rows go to the driver as they are. Same SQL, same values,
so the same rows as the SQLAlchemy call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection


def insert_rows(
    connection: Connection, table: Table, shared: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values of ``columns``, in that order) with ``shared``'s values in every row."""
    if not rows:
        return
    sql, order, positional, processors = _compiled(connection.dialect, table, (*shared, *columns))
    fixed = {k: processors[k](v) if k in processors else v for k, v in shared.items()}
    index = {name: i for i, name in enumerate(columns)}
    per_row = [(index[k], p) for k, p in processors.items() if k in index]
    if per_row:
        processed = []
        for row in rows:
            values = list(row)
            for i, process in per_row:
                values[i] = process(values[i])
            processed.append(values)
        rows = processed
    params: list[Any]
    if positional:
        # each row's values as (shared..., columns...), put in the statement's order at C speed
        names = (*fixed, *columns)
        head = tuple(fixed.values())
        params = [head + tuple(row) for row in rows]
        if order != names and len(order) > 1:  # (one parameter: nothing to reorder)
            reorder = itemgetter(*(names.index(k) for k in order))
            params = [reorder(values) for values in params]
    else:
        params = [{**fixed, **dict(zip(columns, row, strict=True))} for row in rows]
    connection.exec_driver_sql(sql, params)


_COMPILED: dict[tuple[Any, ...], tuple[str, tuple[str, ...], bool, dict[str, Any]]] = {}


def _compiled(dialect: Any, table: Table, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...], bool, dict[str, Any]]:
    """The insert of ``columns`` as the dialect writes it, its parameters' order (for a
    positional paramstyle) and the bind processors SQLAlchemy would apply, once per dialect."""
    key = (dialect.name, dialect.driver, dialect.paramstyle, table.name, columns)
    found = _COMPILED.get(key)
    if found is None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        processors = {k: p for k, p in compiled._bind_processors.items() if p is not None}  # noqa: SLF001
        order = tuple(compiled.positiontup or ()) if compiled.positional else columns
        found = _COMPILED[key] = (compiled.string, order, bool(compiled.positional), processors)
    return found
