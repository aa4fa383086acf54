"""The api's own limits on its sign-in routes, per source address, counted in Redis.

Keycloak locks an account after repeated wrong passwords (brute-force detection, ``realm_settings``);
this module bounds what one address can make the api do before Keycloak is even asked: how many
sign-ins it may start (each costs a pending login in Redis and a redirect) and how many sign-ins
may fail at the callback (a forged or replayed state, a refused code, an account that may not
enter). Over a limit, the route answers 429 until its window has passed. Must never count by
anything a client chooses (a header, a user name), only by the connection's address.
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


#: Sign-ins started: far above what people behind one address do, far below a flood.
LOGIN_STARTS: Final = Limit("login", 120, 60, "Too many sign-ins started from this address; wait a minute.")
#: Sign-ins that failed at the callback.
CALLBACK_FAILURES: Final = Limit(
    "callback-failure", 30, 900, "Too many failed sign-ins from this address; wait and retry."
)


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
