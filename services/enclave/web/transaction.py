"""One database session per request, shared by the guard and the handler, always closed.

The guard opens it (and binds the tenant); the handler's ``session`` dependency commits it when the
handler returns and rolls it back when it raises; the middleware closes whatever is left, so a
request that fails anywhere (a 401, a body that does not parse) never leaks a connection or leaves
a transaction open. Nothing commits after an error: a failed request writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.web.audit import record_route_event

SESSION_KEY = "db_session"


def request_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    state = connection.scope.setdefault("state", {})
    session: AsyncSession | None = state.get(SESSION_KEY)
    if session is None:
        factory: async_sessionmaker[AsyncSession] = connection.app.state.session_factory
        session = state[SESSION_KEY] = factory()
    return session


async def provide_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    session = request_session(request)
    try:
        yield session
    except Exception:
        await session.rollback()
        raise
    else:
        # The route's audit event joins the change's transaction: both commit, or neither.
        await record_route_event(request, session)
        await session.commit()


def close_session_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            session: AsyncSession | None = scope.get("state", {}).pop(SESSION_KEY, None)
            if session is not None:
                await session.close()  # rolls back anything not committed

    return middleware
