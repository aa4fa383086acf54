"""Limits per source address, counted in Redis: how often one address may make the api do something
costly before it is refused with a 429 for the rest of a fixed window.

Owns the counting (:func:`count`, :func:`refuse_if_over`); each route that is open to anyone, or that
is worth guessing at, defines its own :class:`Limit` beside it (the sign-in routes in
``identity.auth_limits``, the CSP reports in ``api.csp_reports``). Must never count by anything a client
chooses (a header, a user name), only by the connection's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import redis.asyncio as aioredis
from litestar.connection import ASGIConnection

from enclave.domain.errors import RateLimited

PREFIX: Final = "enclave:auth-limit:"


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    most: int
    window_s: int
    message: str


def _name(limit: Limit, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return f"{PREFIX}{limit.name}:{client[0] if client else 'unknown'}"


async def refuse_if_over(connection: ASGIConnection[Any, Any, Any, Any], limit: Limit) -> None:
    redis: aioredis.Redis = connection.app.state.redis
    count = await redis.get(_name(limit, connection))
    if count is not None and int(count) >= limit.most:
        raise RateLimited(limit.message)


async def count(connection: ASGIConnection[Any, Any, Any, Any], limit: Limit) -> None:
    """One more event against ``limit``; the window starts at the first one (a fixed window)."""
    redis: aioredis.Redis = connection.app.state.redis
    name = _name(limit, connection)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, limit.window_s, nx=True)
        await pipe.execute()
