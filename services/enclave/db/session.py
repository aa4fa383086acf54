"""Tenant-bound database sessions.

Owns the one statement that tells PostgreSQL whose data a transaction may touch:
``set_config('enclave.org_id', ..., true)`` — transaction-local, so a pooled connection never
carries one tenant's setting into another request. Row-level security (migration 0002) reads it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def bind_tenant(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> None:
    """Starts (or joins) the session's transaction as ``organization_id``'s; RLS shows only its rows."""
    await session.execute(_BIND, {"org": str(organization_id), "user": str(user_id or "")})


#: Built once: every request runs it, and building a statement costs more than sending it.
_BIND = select(
    func.set_config("enclave.org_id", bindparam("org", type_=String()), True),
    func.set_config("enclave.user_id", bindparam("user", type_=String()), True),
)
