"""The API-key owner check's own logic: which realm it asks about, what it remembers, how it fails.

Keycloak and Redis are stood in for by in-memory objects here; the real ones are asked in
``tests/security/test_sessions_hardening.py`` and ``tests/faults/test_keycloak_down.py``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

import pytest

from enclave.domain.errors import Unavailable
from enclave.identity.key_owners import KeycloakKeyOwners, realm_of
from enclave.identity.keycloak_admin import KeycloakRequestFailed, RealmRefused

ORG = uuid.uuid4()
USER = uuid.uuid4()
ISSUER = "https://keycloak.internal:8443/realms/acme-labs"


class Remembered:
    """The two Redis calls the check makes, on a dict (expiry recorded, not enforced)."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[bytes, int]] = {}

    async def exists(self, name: str) -> int:
        return int(name in self.values)

    async def set(self, name: str, value: bytes, ex: int) -> None:
        self.values[name] = (value, ex)


class Realms:
    """Keycloak's answer about a user, and every question it was asked."""

    def __init__(self, answer: bool | Exception) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def user_enabled(self, realm: str, user_id: str) -> bool:
        self.asked.append((realm, user_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def check(realms: Realms | None, redis: Remembered, interval_s: int = 5) -> KeycloakKeyOwners:
    return KeycloakKeyOwners(cast(Any, realms), cast(Any, redis), interval_s)


@pytest.mark.parametrize(
    ("issuer", "realm"),
    [
        (ISSUER, "acme-labs"),
        (ISSUER + "/", "acme-labs"),
        ("https://sso.example/auth/realms/x", "x"),
        ("https://sso.example/realms/", None),
        ("https://sso.example/issuer", None),
        ("https://sso.example/realms/a/b", None),
        ("", None),
    ],
)
def test_the_realm_is_the_last_part_of_keycloaks_issuer(issuer: str, realm: str | None) -> None:
    assert realm_of(issuer) == realm


def test_an_enabled_owner_is_asked_about_in_their_realm_and_remembered_for_the_interval() -> None:
    realms, redis = Realms(True), Remembered()
    owners = check(realms, redis, interval_s=5)
    assert asyncio.run(owners(ORG, USER, ISSUER, "kc-sub")) is True
    assert asyncio.run(owners(ORG, USER, ISSUER, "kc-sub")) is True
    assert realms.asked == [("acme-labs", "kc-sub")]
    assert list(redis.values.values()) == [(b"1", 5)]


def test_with_no_interval_keycloak_is_asked_every_time() -> None:
    realms, redis = Realms(True), Remembered()
    owners = check(realms, redis, interval_s=0)
    for _ in range(3):
        assert asyncio.run(owners(ORG, USER, ISSUER, "kc-sub")) is True
    assert len(realms.asked) == 3
    assert redis.values == {}


def test_a_disabled_or_deleted_owner_is_refused_and_the_refusal_is_not_remembered() -> None:
    realms, redis = Realms(False), Remembered()
    owners = check(realms, redis)
    assert asyncio.run(owners(ORG, USER, ISSUER, "kc-sub")) is False
    assert asyncio.run(owners(ORG, USER, ISSUER, "kc-sub")) is False
    assert len(realms.asked) == 2
    assert redis.values == {}


def test_an_issuer_that_names_no_realm_is_refused_without_asking() -> None:
    realms = Realms(True)
    assert asyncio.run(check(realms, Remembered())(ORG, USER, "https://other/issuer", "s")) is False
    assert realms.asked == []


def test_a_realm_enclave_may_not_manage_is_refused() -> None:
    realms = Realms(RealmRefused("master"))
    assert asyncio.run(check(realms, Remembered())(ORG, USER, "https://k/realms/master", "s")) is False


@pytest.mark.parametrize("realms", [Realms(KeycloakRequestFailed("Keycloak is unreachable")), None])
def test_keycloak_unreachable_or_unconfigured_fails_closed(realms: Realms | None) -> None:
    redis = Remembered()
    with pytest.raises(Unavailable):
        asyncio.run(check(realms, redis)(ORG, USER, ISSUER, "kc-sub"))
    assert redis.values == {}
