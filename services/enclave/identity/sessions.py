"""Browser sessions of the backend-for-frontend: kept in Redis, sealed, reached by an opaque cookie.

Owns the session record's life: creation at login, idle timeout (Redis TTL, renewed on use), absolute
timeout (checked on every read), deletion at logout, on Keycloak's back-channel logout (an index
from Keycloak's session id to ours) and when an admin ends a member's sessions (an index from the
member to theirs). A session id is only ever made here, at a completed sign-in: an id a browser
brings is never adopted (no session fixation). The cookie carries 32 random bytes; Redis holds the record
under the SHA-256 of them, sealed, so neither a Redis dump nor a leaked key name yields a session.
Must never store tokens unsealed or log a session id.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid

import msgspec
import redis.asyncio as aioredis

from enclave.crypto.sealing import SealBroken, Sealer

SESSION_PREFIX = "enclave:session:"
KEYCLOAK_SID_PREFIX = "enclave:kc-sid:"
USER_PREFIX = "enclave:user-sessions:"


class BrowserSession(msgspec.Struct, frozen=True):
    """What the api keeps of a sign-in; sealed as a whole before it reaches Redis."""

    organization_id: uuid.UUID
    user_id: uuid.UUID
    realm: str
    keycloak_sid: str
    refresh_token: str
    id_token: str
    amr: list[str]
    csrf_token: str = msgspec.field(default_factory=lambda: secrets.token_urlsafe(32))
    created_at: float = msgspec.field(default_factory=time.time)
    #: When the person last typed their credentials (the ID token's ``auth_time``), in Unix seconds:
    #: what a step-up check compares with its maximum age.
    auth_time: float = 0.0
    #: When Keycloak last confirmed the account is enabled (a token refresh), in Unix seconds.
    checked_at: float = msgspec.field(default_factory=time.time)

    @property
    def second_factor(self) -> bool:
        return "otp" in self.amr


def _user_index(organization_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"{USER_PREFIX}{organization_id}:{user_id}"


def _name(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(
        self, redis: aioredis.Redis, sealer: Sealer, idle_timeout_s: int, absolute_timeout_s: int
    ) -> None:
        self._redis = redis
        self._sealer = sealer
        self._idle = idle_timeout_s
        self._absolute = absolute_timeout_s

    async def create(self, session: BrowserSession) -> str:
        """Stores ``session`` and returns the id for the cookie (the only place it ever appears)."""
        session_id = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        name = _name(session_id)
        sealed = self._sealer.seal(msgspec.json.encode(session), name.encode())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, sealed, ex=self._idle)
            pipe.sadd(KEYCLOAK_SID_PREFIX + session.keycloak_sid, name)
            pipe.expire(KEYCLOAK_SID_PREFIX + session.keycloak_sid, self._absolute)
            pipe.sadd(_user_index(session.organization_id, session.user_id), name)
            pipe.expire(_user_index(session.organization_id, session.user_id), self._absolute)
            await pipe.execute()
        return session_id

    async def get(self, session_id: str) -> BrowserSession | None:
        """The live session for a cookie value, renewing its idle timeout; None when it has ended."""
        name = _name(session_id)
        sealed = await self._redis.get(name)
        if not isinstance(sealed, bytes):
            return None
        try:
            session = msgspec.json.decode(self._sealer.open(sealed, name.encode()), type=BrowserSession)
        except (SealBroken, msgspec.DecodeError):
            await self._redis.delete(name)
            return None
        if time.time() - session.created_at > self._absolute:
            await self._redis.delete(name)
            return None
        await self._redis.expire(name, self._idle)
        return session

    async def replace(self, session_id: str, session: BrowserSession) -> bool:
        """Stores ``session`` under the id it already has; False (and nothing stored) when that
        session has ended meanwhile, so an ended session is never brought back."""
        name = _name(session_id)
        sealed = self._sealer.seal(msgspec.json.encode(session), name.encode())
        return bool(await self._redis.set(name, sealed, ex=self._idle, xx=True))

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(_name(session_id))

    async def delete_by_keycloak_sid(self, keycloak_sid: str) -> int:
        """Ends every session Keycloak's session ``keycloak_sid`` started (back-channel logout)."""
        return await self._delete_indexed(KEYCLOAK_SID_PREFIX + keycloak_sid)

    async def delete_for_user(self, organization_id: uuid.UUID, user_id: uuid.UUID) -> int:
        """Ends every session of one member (an admin's order, or their removal); how many were live."""
        return await self._delete_indexed(_user_index(organization_id, user_id))

    async def _delete_indexed(self, index: str) -> int:
        names = await self._redis.smembers(index)
        # Index entries outlive sessions that timed out: count only the ones that were still live.
        ended = int(await self._redis.delete(*names)) if names else 0
        await self._redis.delete(index)
        return ended


class PendingLogins:
    """A login between the redirect to Keycloak and the callback: PKCE verifier, nonce, where to go."""

    PREFIX = "enclave:login:"
    TTL_S = 600

    class Pending(msgspec.Struct):
        realm: str
        verifier: str
        nonce: str
        next_path: str
        #: Set when this login was started again to collect a second factor (done at most once).
        reauthentication: bool = False

    def __init__(self, redis: aioredis.Redis, sealer: Sealer) -> None:
        self._redis = redis
        self._sealer = sealer

    async def put(self, state: str, pending: PendingLogins.Pending) -> None:
        name = self.PREFIX + hashlib.sha256(state.encode()).hexdigest()
        await self._redis.set(
            name, self._sealer.seal(msgspec.json.encode(pending), name.encode()), ex=self.TTL_S
        )

    async def take(self, state: str) -> PendingLogins.Pending | None:
        """The pending login for ``state``, removed at once: a state works exactly once."""
        name = self.PREFIX + hashlib.sha256(state.encode()).hexdigest()
        sealed = await self._redis.getdel(name)
        if not isinstance(sealed, bytes):
            return None
        try:
            return msgspec.json.decode(self._sealer.open(sealed, name.encode()), type=PendingLogins.Pending)
        except (SealBroken, msgspec.DecodeError):
            return None
