"""API keys as credentials: ``Authorization: Bearer enc_...``.

Only the token's shape is checked here; the guard verifies it inside the tenant it names, and counts
failures per source address in Redis so guessing is throttled.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from litestar.connection import ASGIConnection

from enclave.api.auth.claims import Claim
from enclave.api_keys.tokens import parse_token
from enclave.domain.errors import RateLimited

FAILURE_PREFIX = "enclave:key-failures:"
FAILURE_WINDOW_S = 900
MAX_FAILURES = 20


async def claim_from_api_key(connection: ASGIConnection[Any, Any, Any, Any]) -> Claim | None:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.startswith("enc_"):
        return None
    token = parse_token(value.strip())
    if token is None:
        await record_failure(connection)
        return None
    return Claim(organization_id=token.organization_id, user_id=None, via="api_key", api_key=token)


def _source(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return str(client[0]) if client else "unknown"


async def refuse_if_throttled(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    redis: aioredis.Redis = connection.app.state.redis
    failures = await redis.get(FAILURE_PREFIX + _source(connection))
    if failures is not None and int(failures) >= MAX_FAILURES:
        raise RateLimited("Too many failed API key attempts from this address; wait and retry.")


async def record_failure(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    redis: aioredis.Redis = connection.app.state.redis
    name = FAILURE_PREFIX + _source(connection)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, FAILURE_WINDOW_S)
        await pipe.execute()
