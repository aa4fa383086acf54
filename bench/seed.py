"""Background rows for the large scale, written straight into a platform's database as copies of one
row that platform made itself: what no API of either platform can make fast enough (1,000,000
annotation versions through either API would take hours; Label Studio submits about ten a second).

Owns nothing else: never timed, never read by a measured request except as the rows an index or a
plan must cope with. A copy keeps every column of its template (so its size and shape are real)
except those named: ``omit`` (left to the column's default, e.g. a serial id), ``fresh`` (a new UUID
each, for unique ones) and ``values`` (an SQL expression over the ``source`` rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information


async def _columns(connection: asyncpg.Connection, table: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    if not rows:
        raise RuntimeError(f"no table {table}")
    return [row["column_name"] for row in rows]


async def copy_row(
    connection: asyncpg.Connection,
    table: str,
    template: Any,
    *,
    source: str,
    args: Sequence[Any] = (),
    omit: Sequence[str] = (),
    fresh: Sequence[str] = (),
    values: Mapping[str, str] | None = None,
) -> int:
    """Inserts one copy of ``table``'s row whose ``id`` is ``template`` for each row of ``source`` (a
    FROM-clause fragment with its WHERE, whose parameters are ``$2`` onwards: ``args``); returns how
    many were written. The caller's connection decides the role and the transaction."""
    values = values or {}
    columns = [c for c in await _columns(connection, table) if c not in omit]
    expressions = ["gen_random_uuid()" if c in fresh else values.get(c, f'tpl."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    statement = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(expressions)} "  # noqa: S608  # nosec B608
        f"FROM (SELECT * FROM {table} WHERE id = $1) tpl, {source}"
    )
    status = await connection.execute(statement, template, *args)
    return int(status.split()[-1])


async def settle(connection: asyncpg.Connection, *tables: str) -> None:
    """``VACUUM (ANALYZE)`` of ``tables`` after a bulk load, as autovacuum soon would: so that its
    work does not fall inside a measured round instead."""
    for table in tables:
        await connection.execute(f"VACUUM (ANALYZE) {table}")
