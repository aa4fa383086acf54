"""The database's side of the readiness probe: one round trip that touches no table.

Owns the statement ``/health/ready`` sends to PostgreSQL. Must never read a table or depend on a
tenant: the probe runs on a bare connection, without a transaction's tenant binding.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_PING = text("SELECT 1")


async def ping(connection: AsyncConnection) -> None:
    """Raises if PostgreSQL does not answer a statement on ``connection``."""
    await connection.execute(_PING)
