"""Stand-in company identity providers for SSO tests: other realms of the same Keycloak.

One realm plays a company's OIDC provider (a confidential client for the organization realm's broker,
PKCE S256 required of it), another a company's SAML provider (a client named by the broker's
service-provider entity id, signed assertions, the broker's signed requests required, attributes for
e-mail and names). Each returns what the organization's admin would copy into Enclave: the ``config``
of an :class:`~enclave.identity.brokering.IdentityProviderSpec`. The realms are created through a
python-keycloak admin scoped to that one realm (never ``master``), and deleted by :func:`delete_idp`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from keycloak import KeycloakAdmin

if TYPE_CHECKING:
    from tests.integration.stack import Stack

BROKER_CLIENT_ID = "enclave-broker"
IDP_PASSWORD = "idp password for tests 42"


@dataclass(frozen=True)
class IdpRealm:
    """A realm playing a company's identity provider, and what Enclave needs to connect to it."""

    name: str
    admin: KeycloakAdmin  # scoped to this realm
    config: dict[str, str]  # an IdentityProviderSpec's config (holds the OIDC client secret)

    def __repr__(self) -> str:  # the client secret stays out of test reports
        return f"IdpRealm(name={self.name!r})"

    def add_user(self, email: str, first_name: str, last_name: str) -> str:
        """A user who signs in with their e-mail address and :data:`IDP_PASSWORD`; their address counts
        as verified, as a company directory's would."""
        return self.admin.create_user(
            {
                "username": email,
                "email": email,
                "emailVerified": True,
                "firstName": first_name,
                "lastName": last_name,
                "enabled": True,
                "credentials": [{"type": "password", "value": IDP_PASSWORD, "temporary": False}],
            }
        )


def realm_admin(stack: Stack, realm: str) -> KeycloakAdmin:
    """A python-keycloak admin (the installation's bootstrap admin) whose requests go to ``realm``."""
    return KeycloakAdmin(
        server_url=stack.env["ENCLAVE_KEYCLOAK_URL"],
        username=stack.env["ENCLAVE_KEYCLOAK_ADMIN_USER"],
        password=stack.secret("ENCLAVE_KEYCLOAK_ADMIN_PASSWORD_FILE"),
        realm_name=realm,
        user_realm_name="master",
        verify=stack.ca_file,
    )


def signing_certificate(admin: KeycloakAdmin) -> str:
    """The realm's active RS256 signing certificate (base64 DER), as its SAML metadata publishes it."""
    for key in admin.get_keys()["keys"]:
        if key.get("algorithm") == "RS256" and key.get("use") == "SIG" and key.get("status") == "ACTIVE":
            return str(key["certificate"])
    raise AssertionError(f"realm {admin.connection.realm_name} has no active RS256 signing key")


@contextmanager
def _deleted_on_failure(admin: KeycloakAdmin, name: str) -> Iterator[None]:
    """Deletes the half-built realm if its setup fails, so no test leaves one behind."""
    try:
        yield
    except BaseException:
        admin.delete_realm(name)
        raise


def _new_realm(stack: Stack, name: str) -> KeycloakAdmin:
    if name == "master":
        raise ValueError("an identity provider realm is never master")
    admin = realm_admin(stack, name)
    admin.create_realm({"realm": name, "enabled": True, "sslRequired": "all", "loginWithEmailAllowed": True})
    return admin


def create_oidc_idp(stack: Stack, name: str, *, redirect_uris: list[str]) -> IdpRealm:
    """A realm acting as a company's OIDC provider, its endpoints read from its discovery document."""
    admin = _new_realm(stack, name)
    with _deleted_on_failure(admin, name):
        secret = secrets.token_urlsafe(32)
        admin.create_client(
            {
                "clientId": BROKER_CLIENT_ID,
                "protocol": "openid-connect",
                "enabled": True,
                "publicClient": False,
                "clientAuthenticatorType": "client-secret",
                "secret": secret,
                "standardFlowEnabled": True,
                "implicitFlowEnabled": False,
                "directAccessGrantsEnabled": False,
                "redirectUris": redirect_uris,
                # The broker must send a PKCE S256 challenge, or this provider refuses it.
                "attributes": {"pkce.code.challenge.method": "S256"},
            }
        )
        issuer = f"{stack.env['ENCLAVE_KEYCLOAK_URL']}/realms/{name}"
        discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", verify=stack.tls, timeout=30)
        discovery.raise_for_status()
        meta = discovery.json()
        config = {
            "issuer": meta["issuer"],
            "authorizationUrl": meta["authorization_endpoint"],
            "tokenUrl": meta["token_endpoint"],
            "jwksUrl": meta["jwks_uri"],
            "userInfoUrl": meta["userinfo_endpoint"],
            "logoutUrl": meta["end_session_endpoint"],
            "clientId": BROKER_CLIENT_ID,
            "clientSecret": secret,
        }
        return IdpRealm(name, admin, config)


def create_saml_idp(
    stack: Stack, name: str, *, sp_entity_id: str, acs_url: str, sp_certificate: str
) -> IdpRealm:
    """A realm acting as a company's SAML provider for the service provider ``sp_entity_id``: POST
    binding, signed responses and assertions, and the SP's requests must be signed with
    ``sp_certificate``'s key. NameID: persistent (what the broker asks for); e-mail and names travel
    as attributes named ``email``, ``firstName`` and ``lastName``."""
    admin = _new_realm(stack, name)
    with _deleted_on_failure(admin, name):
        admin.create_client(
            {
                "clientId": sp_entity_id,
                "protocol": "saml",
                "enabled": True,
                "redirectUris": [acs_url],
                "attributes": {
                    "saml_assertion_consumer_url_post": acs_url,
                    "saml.force.post.binding": "true",
                    "saml.server.signature": "true",
                    "saml.assertion.signature": "true",
                    "saml.signature.algorithm": "RSA_SHA256",
                    "saml.client.signature": "true",
                    "saml.signing.certificate": sp_certificate,
                    "saml.authnstatement": "true",
                    "saml.encrypt": "false",
                    "saml_name_id_format": "persistent",
                },
                "protocolMappers": [
                    {
                        "name": attribute,
                        "protocol": "saml",
                        "protocolMapper": "saml-user-property-mapper",
                        "config": {
                            "user.attribute": attribute,
                            "attribute.name": attribute,
                            "attribute.nameformat": "Basic",
                        },
                    }
                    for attribute in ("email", "firstName", "lastName")
                ],
            }
        )
        issuer = f"{stack.env['ENCLAVE_KEYCLOAK_URL']}/realms/{name}"
        config = {
            "idpEntityId": issuer,
            "singleSignOnServiceUrl": f"{issuer}/protocol/saml",
            "singleLogoutServiceUrl": f"{issuer}/protocol/saml",
            "signingCertificate": signing_certificate(admin),
        }
        return IdpRealm(name, admin, config)


def delete_idp(idp: IdpRealm) -> None:
    idp.admin.delete_realm(idp.name)
