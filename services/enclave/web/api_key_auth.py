"""API keys as credentials: ``Authorization: Bearer enc_...``.

The middleware checks only the token's shape (``claim_from_api_key``); the guard then verifies it
inside the tenant it names (``verify_key``), and failures are counted per source address in Redis so
guessing is throttled. A key is worth no more than its owner's account: the guard also asks
(``refuse_if_owner_disabled``) whether the owner is still enabled in Keycloak, through the
:class:`OwnerCheck` the application shell puts in ``app.state.key_owner_check`` — an account disabled
or deleted there (by an admin, a directory sync or an upstream identity provider) loses its keys as
it loses its sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.repositories.access import CallerFacts
from enclave.db.repositories.api_keys import ApiKeyRepository
from enclave.domain.errors import RateLimited, Unauthenticated
from enclave.web.claims import Claim
from enclave.web.key_tokens import KeyToken, parse_token

FAILURE_PREFIX = "enclave:key-failures:"
FAILURE_WINDOW_S = 900
MAX_FAILURES = 20
#: last_used_at is refreshed at most this often, so a busy key does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    key_id: uuid.UUID
    user_id: uuid.UUID
    scopes: frozenset[str]
    project_id: uuid.UUID | None
    owner_issuer: str | None = None
    owner_subject: str | None = None
    #: The owner as the guard's caller, read with the key (None: not an active member).
    caller: CallerFacts | None = None


class OwnerCheck(Protocol):
    """Whether a key owner's Keycloak account (``issuer`` and ``subject`` of their sign-ins) is still
    enabled there. Raises :class:`~enclave.domain.errors.Unavailable` when Keycloak cannot be asked."""

    async def __call__(
        self, organization_id: uuid.UUID, user_id: uuid.UUID, issuer: str, subject: str
    ) -> bool: ...


async def verify_key(session: AsyncSession, token: KeyToken, *, lock: bool = False) -> VerifiedKey | None:
    """The key behind ``token`` if it exists, matches, is not revoked and has not expired. Runs in
    the tenant the token names (already bound on ``session``). With ``lock`` (a request that changes
    something) the key's row stays locked for share until the transaction ends, so a revocation
    cannot commit between this check and the request's write, and so do the owner's membership,
    account and organization, which the same statement reads as the request's caller."""
    keys = ApiKeyRepository(session, token.organization_id)
    row = await keys.by_prefix(token.prefix, lock=lock)
    now = dt.datetime.now(dt.UTC)
    if row is None or not token.matches(row.secret_hash) or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
        # Only when due: a key in steady use costs no write per request.
        await keys.touch(row.id, now, LAST_USED_RESOLUTION)
    return VerifiedKey(
        row.id,
        row.user_id,
        frozenset(row.scopes),
        row.project_id,
        row.owner_issuer,
        row.owner_subject,
        row.owner,
    )


async def refuse_if_owner_disabled(
    connection: ASGIConnection[Any, Any, Any, Any], organization_id: uuid.UUID, key: VerifiedKey
) -> None:
    """401 when the key's owner is disabled or deleted in Keycloak (a 503 when Keycloak cannot say).
    An owner who never signed in through Keycloak has no account there to disable: only Enclave's own
    membership (checked by the guard) governs their keys."""
    if key.owner_issuer is None or key.owner_subject is None:
        return
    check: OwnerCheck = connection.app.state.key_owner_check
    if not await check(organization_id, key.user_id, key.owner_issuer, key.owner_subject):
        await record_failure(connection)
        raise Unauthenticated("The API key's owner is disabled or deleted in the identity provider.")


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
