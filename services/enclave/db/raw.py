"""The statements every request runs, sent as asyncpg's own prepared statements on the session's
connection, inside its transaction.

Why by hand: SQLAlchemy's execution layer costs 0.21 to 0.34 ms of Python per statement on our machines
against 0.08 ms for an asyncpg prepared statement, and every request runs four or five of these
before its handler starts (docs/performance.md). Only fixed SQL with ``$n`` parameters goes here —
nothing is built from input — and each statement still names the organization, besides row-level
security.

Must never run outside the session's transaction: the tenant binding (``db.session.bind_tenant``)
is transaction-local, so a statement sent before the transaction began would run without it. The
session begins its transaction on its first statement through SQLAlchemy (the binding is always that
first statement); every function here refuses to run before.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy.ext.asyncio import AsyncSession


class OutsideTransaction(RuntimeError):
    """A raw statement was asked for before the session's transaction (and its tenant) began."""


#: Where a session keeps the driver connection of its current transaction (``session.info``).
_DRIVER = "enclave.raw.driver"


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection of the session's transaction. Asking SQLAlchemy for it costs a greenlet
    switch and the session's connection lookup on every statement, so it is kept for the rest of
    that transaction, next to the transaction object it belongs to: a later transaction (after a
    commit or rollback, perhaps on another pooled connection) is another object, and looks it up
    again."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_DRIVER)
    if transaction is not None and kept is not None and kept[0] is transaction:
        driver = kept[1]
    else:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    if driver is None or not driver.is_in_transaction():
        raise OutsideTransaction("bind the tenant (which begins the transaction) before raw statements")
    return driver


async def fetch_row(session: AsyncSession, sql: str, *args: Any) -> asyncpg.Record | None:
    """The first row of ``sql`` (prepared once per connection by asyncpg's statement cache)."""
    return await (await _driver(session)).fetchrow(sql, *args)


async def fetch_rows(session: AsyncSession, sql: str, *args: Any) -> list[asyncpg.Record]:
    return list(await (await _driver(session)).fetch(sql, *args))


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    """A statement whose rows, if any, are not wanted (an INSERT)."""
    await (await _driver(session)).execute(sql, *args)
