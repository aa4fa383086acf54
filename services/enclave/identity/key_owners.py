"""API keys' owners, asked of Keycloak: is the account behind a key still enabled there?

Owns :class:`KeycloakKeyOwners`, the :class:`~enclave.web.api_key_auth.OwnerCheck` the application
shell gives the guard. An account disabled or deleted in Keycloak — by an admin there, a directory
(LDAP) sync, or an upstream identity provider's account being removed — must lose its API keys as
it loses its browser sessions: at its first request after at most
``SessionSettings.account_check_interval_s`` (the same bound as sessions), never "when someone
notices". A confirmed answer is kept in Redis for that long, so a key in steady use costs Keycloak
one call per owner per interval, whichever api replica serves it; a refusal is never kept (the next
request asks again, and the key-failure throttle limits how often). Keycloak unreachable fails
closed: :class:`~enclave.domain.errors.Unavailable` (503), never "enabled". Must never cache a
refusal as acceptance, nor ask about a realm other than the one the owner signed in to.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Final

import redis.asyncio as aioredis
import structlog

from enclave.domain.errors import Unavailable
from enclave.identity.keycloak_admin import IdentityError, RealmRefused
from enclave.identity.realms import RealmService

log = structlog.get_logger(__name__)

PREFIX: Final = "enclave:key-owner-enabled:"
_REALM_PATH: Final = "/realms/"


def realm_of(issuer: str) -> str | None:
    """The realm in an issuer Keycloak stamped on a sign-in (``https://host/realms/<realm>``)."""
    _, found, realm = issuer.rstrip("/").rpartition(_REALM_PATH)
    return realm if found and realm and "/" not in realm else None


class KeycloakKeyOwners:
    """Asks Keycloak's admin API, as the api's admin of the installation, whether a key's owner is
    still enabled in their organization's realm; a yes is remembered for ``interval_s`` seconds."""

    def __init__(self, realms: RealmService | None, redis: aioredis.Redis, interval_s: int) -> None:
        self._realms = realms
        self._redis = redis
        self._interval_s = interval_s

    async def __call__(
        self, organization_id: uuid.UUID, user_id: uuid.UUID, issuer: str, subject: str
    ) -> bool:
        name = f"{PREFIX}{organization_id}:{user_id}"
        if self._interval_s > 0 and await self._redis.exists(name):
            return True
        realm = realm_of(issuer)
        if realm is None:
            log.warning("identity.key_owner.unknown_issuer", user_id=str(user_id))
            return False
        if self._realms is None:
            raise Unavailable("Keycloak's administration is not configured: the key's owner is unconfirmed.")
        try:
            enabled = await asyncio.to_thread(self._realms.user_enabled, realm, subject)
        except RealmRefused:
            log.warning("identity.key_owner.refused_realm", user_id=str(user_id))
            return False
        except IdentityError as error:
            raise Unavailable("Keycloak could not confirm the API key's owner.") from error
        if not enabled:
            log.info("identity.key_owner.disabled", user_id=str(user_id))
            return False
        if self._interval_s > 0:
            await self._redis.set(name, b"1", ex=self._interval_s)
        return True
