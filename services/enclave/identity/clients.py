"""The realm's one OIDC client, ``enclave-web``: how the api signs its members in.

Owns the client's representation (confidential, code flow with PKCE S256 only, exact redirect URIs,
back-channel logout, no Keycloak role in its tokens), its protocol mappers (its own id in ``aud``, the
authentication-method references in ``amr``), the step that creates it or brings it and its mappers in
line, and :class:`RealmClient`, the credentials the api uses it with. Must never log or show the
client secret (a :class:`RealmClient`'s repr leaves it out) and never enable another grant (implicit,
password, device, CIBA, service account) than the code flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import structlog

from enclave.identity.keycloak_admin import (
    KeycloakRequestFailed,
    RealmAdmin,
    changed_keys,
    converge_mappers,
)
from enclave.identity.realm_settings import RealmSpec

log = structlog.get_logger(__name__)

WEB_CLIENT_ID: Final = "enclave-web"


@dataclass(frozen=True)
class RealmClient:
    """How the api talks to the realm: its web client's credentials and the realm's issuer."""

    realm: str
    client_id: str
    client_secret: str
    issuer: str

    def __repr__(self) -> str:  # the secret stays out of reprs, tracebacks and logs
        return f"RealmClient(realm={self.realm!r}, client_id={self.client_id!r}, issuer={self.issuer!r})"


def build_web_client(spec: RealmSpec) -> dict[str, Any]:
    """The ClientRepresentation of ``enclave-web``, without its protocol mappers."""
    return {
        "clientId": WEB_CLIENT_ID,
        "name": "Enclave",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "bearerOnly": False,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "consentRequired": False,
        "frontchannelLogout": False,
        # Enclave's roles live in Enclave: no Keycloak role needs to reach a token.
        "fullScopeAllowed": False,
        "redirectUris": list(spec.redirect_uris),
        "webOrigins": list(spec.web_origins),
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(spec.post_logout_redirect_uris),
            "backchannel.logout.url": spec.backchannel_logout_url,
            "backchannel.logout.session.required": "true",
            "backchannel.logout.revoke.offline.tokens": "true",
            "oauth2.device.authorization.grant.enabled": "false",
            "oidc.ciba.grant.enabled": "false",
        },
    }


def build_web_client_mappers() -> list[dict[str, Any]]:
    """``enclave-web``'s protocol mappers: its own id in ``aud``, and ``amr`` in ID and access tokens."""
    return [
        {
            "name": "enclave-web audience",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {
                "included.client.audience": WEB_CLIENT_ID,
                "access.token.claim": "true",
                "id.token.claim": "false",
                "introspection.token.claim": "true",
            },
        },
        {
            "name": "amr",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-amr-mapper",
            "config": {
                "access.token.claim": "true",
                "id.token.claim": "true",
                "introspection.token.claim": "true",
            },
        },
    ]


def ensure_web_client(api: RealmAdmin, spec: RealmSpec) -> str:
    """Creates ``enclave-web`` in the realm or brings it and its mappers in line with ``spec``;
    returns the client's Keycloak id."""
    desired = build_web_client(spec)
    found = api.get("/clients", clientId=WEB_CLIENT_ID)
    if not found:
        client_uuid = api.post("/clients", desired)
        if client_uuid is None:  # pragma: no cover - Keycloak always names the created client
            raise KeycloakRequestFailed(f"Keycloak created {WEB_CLIENT_ID} in {api.realm} without naming it")
        log.info("identity.client.created", realm=api.realm, client_id=WEB_CLIENT_ID)
    else:
        current = found[0]
        client_uuid = str(current["id"])
        changed = changed_keys(current, desired)
        if changed:
            api.put(f"/clients/{client_uuid}", {**current, **desired})
            log.info("identity.client.updated", realm=api.realm, client_id=WEB_CLIENT_ID, fields=changed)
    _ensure_mappers(api, client_uuid)
    return client_uuid


def _ensure_mappers(api: RealmAdmin, client_uuid: str) -> None:
    """Writes the mappers of :func:`build_web_client_mappers` the client lacks; leaves others alone."""
    path = f"/clients/{client_uuid}/protocol-mappers/models"
    written, _ = converge_mappers(api, path, build_web_client_mappers())
    for name in written:
        log.info("identity.client.mapper_set", realm=api.realm, mapper=name)
