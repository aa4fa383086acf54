"""Browser sessions in the real Redis: sealed at rest, idle and absolute timeouts, back-channel end."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid

import pytest

from enclave.crypto.sealing import Sealer
from enclave.identity.sessions import SESSION_PREFIX, BrowserSession, SessionStore
from enclave.redis_client import create_redis
from enclave.settings import RedisSettings, TLSSettings

TOKEN = f"refresh-token-marker-{uuid.uuid4().hex}"


def a_session(**changes: object) -> BrowserSession:
    values: dict[str, object] = {
        "organization_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "realm": "t-sessions",
        "keycloak_sid": f"kc-{uuid.uuid4().hex}",
        "refresh_token": TOKEN,
        "id_token": "id-token",
        "amr": ["pwd", "otp"],
    }
    return BrowserSession(**(values | changes))  # type: ignore[arg-type]


def run(idle: int, absolute: int, scenario):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        redis = create_redis(RedisSettings(), TLSSettings())
        try:
            return await scenario(
                redis, SessionStore(redis, Sealer(b"integration-session-secret"), idle, absolute)
            )
        finally:
            await redis.aclose()

    return asyncio.run(go())


@pytest.mark.usefixtures("stack")
class TestSessionStore:
    def test_round_trip_and_nothing_readable_at_rest(self) -> None:
        async def scenario(redis, store):  # type: ignore[no-untyped-def]
            session = a_session()
            session_id = await store.create(session)
            stored = [await redis.get(name) async for name in redis.scan_iter(f"{SESSION_PREFIX}*")]
            assert all(TOKEN.encode() not in value for value in stored if value)
            assert not [
                name async for name in redis.scan_iter(f"*{session_id}*")
            ]  # the cookie value is not a key
            return session, await store.get(session_id)

        session, loaded = run(60, 600, scenario)
        assert loaded == session

    def test_idle_timeout(self) -> None:
        async def scenario(redis, store):  # type: ignore[no-untyped-def]
            session_id = await store.create(a_session())
            await asyncio.sleep(2.5)
            return await store.get(session_id)

        assert run(1, 600, scenario) is None

    def test_absolute_timeout(self) -> None:
        async def scenario(redis, store):  # type: ignore[no-untyped-def]
            session_id = await store.create(a_session(created_at=time.time() - 120))
            return await store.get(session_id)

        assert run(600, 60, scenario) is None

    def test_a_tampered_record_is_dropped(self) -> None:
        async def scenario(redis, store):  # type: ignore[no-untyped-def]
            session_id = await store.create(a_session())
            name = SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()
            value = bytearray(await redis.get(name))
            value[-1] ^= 1
            await redis.set(name, bytes(value))
            return await store.get(session_id), await redis.exists(name)

        assert run(60, 600, scenario) == (None, 0)

    def test_backchannel_logout_ends_every_session_of_a_keycloak_session(self) -> None:
        async def scenario(redis, store):  # type: ignore[no-untyped-def]
            sid = f"kc-{uuid.uuid4().hex}"
            first, second = (
                await store.create(a_session(keycloak_sid=sid)),
                await store.create(a_session(keycloak_sid=sid)),
            )
            other = await store.create(a_session())
            ended = await store.delete_by_keycloak_sid(sid)
            return ended, await store.get(first), await store.get(second), await store.get(other)

        ended, first, second, other = run(60, 600, scenario)
        assert (ended, first, second) == (2, None, None)
        assert other is not None
