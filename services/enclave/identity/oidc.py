"""OpenID Connect against each organization's Keycloak realm, for the backend-for-frontend login.

Owns the per-realm clients (the web client's secret read from Keycloak's admin API, kept in memory
only), the realm's signing keys (JWKS fetched from Keycloak inside the network, cached, refetched
when a token names an unknown key) and token verification: signature, issuer, audience, expiry and,
at login, the nonce. Must never accept an unverified token or log one.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jwcrypto import jwk
from jwcrypto.common import JWException
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakError

from enclave.domain.errors import Unauthenticated, Unavailable
from enclave.settings import KeycloakSettings, TLSSettings, read_secret

JWKS_TTL_S = 300.0


class RealmClients:
    def __init__(self, keycloak: KeycloakSettings, tls: TLSSettings) -> None:
        self._settings = keycloak
        self._ca = str(tls.ca_file)
        self._clients: dict[str, KeycloakOpenID] = {}
        self._keys: dict[str, tuple[float, jwk.JWKSet]] = {}
        self._lock = asyncio.Lock()

    def issuer(self, realm: str) -> str:
        return f"{self._settings.url}/realms/{realm}"

    async def client(self, realm: str) -> KeycloakOpenID:
        if realm not in self._clients:
            async with self._lock:
                if realm not in self._clients:
                    try:
                        secret = await asyncio.to_thread(self._client_secret, realm)
                    except KeycloakError as error:  # down, or refusing: nothing can be confirmed
                        raise Unavailable("Keycloak could not be asked about this sign-in.") from error
                    self._clients[realm] = KeycloakOpenID(
                        server_url=self._settings.url,
                        realm_name=realm,
                        client_id=self._settings.client_id,
                        client_secret_key=secret,
                        verify=self._ca,
                        timeout=15,
                    )
        return self._clients[realm]

    def _client_secret(self, realm: str) -> str:
        if self._settings.admin_password_file is None:
            raise Unavailable("Sign-in is not configured (no Keycloak admin credentials).")
        admin = KeycloakAdmin(
            server_url=self._settings.url,
            username=self._settings.admin_user,
            password=read_secret(self._settings.admin_password_file),
            realm_name=realm,
            user_realm_name="master",
            verify=self._ca,
            timeout=15,
        )
        client_uuid = admin.get_client_id(self._settings.client_id)
        if client_uuid is None:
            raise Unavailable("This organization's sign-in is not set up yet.")
        secret: str = admin.get_client_secrets(client_uuid)["value"]
        return secret

    async def _jwks(self, realm: str, *, refresh: bool = False) -> jwk.JWKSet:
        cached = self._keys.get(realm)
        if cached and not refresh and time.monotonic() - cached[0] < JWKS_TTL_S:
            return cached[1]
        keys = jwk.JWKSet()
        try:
            certs = await (await self.client(realm)).a_certs()
        except KeycloakError as error:
            raise Unavailable("Keycloak's signing keys could not be read.") from error
        for entry in certs["keys"]:
            keys.add(jwk.JWK(**entry))
        self._keys[realm] = (time.monotonic(), keys)
        return keys

    async def verify(
        self, realm: str, token: str, *, audience: str | None = None, nonce: str | None = None
    ) -> dict[str, Any]:
        """The token's claims, after checking its signature, issuer, audience and expiry."""
        client = await self.client(realm)
        checks: dict[str, Any] = {
            "iss": self.issuer(realm),
            "exp": None,
            "aud": audience or self._settings.client_id,
        }
        if nonce is not None:
            checks["nonce"] = nonce
        for refresh in (False, True):  # a key rotated since we cached the set: fetch once more
            keys = await self._jwks(realm, refresh=refresh)
            try:
                claims: dict[str, Any] = client.decode_token(token, key=keys, check_claims=checks)
            except JWException as error:
                if refresh or "kid" not in str(error).lower():
                    raise Unauthenticated("The sign-in token is not valid.") from error
                continue
            except ValueError as error:
                raise Unauthenticated("The sign-in token is not valid.") from error
            return claims
        raise Unauthenticated("The sign-in token is not valid.")  # pragma: no cover — loop returns or raises
