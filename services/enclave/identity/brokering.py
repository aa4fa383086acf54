"""Brokering: an organization's own identity provider (its company OIDC or SAML sign-in) in its realm.

Owns :class:`IdentityProviderSpec` (what the organization's admin gives), the checks that refuse a spec
that cannot work or would weaken sign-in (a missing, unknown or non-https setting, a malformed
certificate), the provider's representation with the security settings that are Enclave's alone
(signature validation, PKCE, POST bindings, signed assertions), its mappers (e-mail and names imported,
a username that names the provider), and the steps that keep those mappers and the realm's "first
broker login" flow in line. Must never log or show a client secret (a spec's repr masks it, and the
provider's representation holds it, so it is never logged either), never let an admin set what Enclave
enforces, and never keep a mapper Enclave did not define (it could set any attribute of the users the
provider signs in).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit

import structlog

from enclave.identity.keycloak_admin import (
    REALM_NAME,
    IdentityProviderInvalid,
    RealmAdmin,
    converge_mappers,
)

log = structlog.get_logger(__name__)

# A user who first signs in through an identity provider is created by Keycloak's "first broker login"
# flow; its review-profile step shows a form only when the provider left out a field the user profile
# requires (e-mail, first and last name), which the mappers below import.
FIRST_BROKER_LOGIN_FLOW: Final = "first broker login"
REVIEW_PROFILE_AUTHENTICATOR: Final = "idp-review-profile"
REVIEW_PROFILE_SETTING: Final = "update.profile.on.first.login"
REVIEW_PROFILE_MODE: Final = "missing"
# FORCE: at every sign-in the provider's e-mail and names overwrite the realm's copy, so the company's
# directory stays the one place they are changed (IMPORT would keep the values of the first sign-in).
IDP_SYNC_MODE: Final = "FORCE"
# Keycloak returns a stored client secret as this mask, and keeps the stored secret when it gets the
# mask back in an update.
SECRET_MASK: Final = "**********"  # noqa: S105 - Keycloak's placeholder, not a secret
NAMEID_PERSISTENT: Final = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_EMAIL: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


IdentityProviderKind = Literal["oidc", "saml"]


@dataclass(frozen=True)
class IdentityProviderSpec:
    """An organization's own identity provider, as its admin describes it.

    ``config`` holds what only the admin knows, by Keycloak's config key. OIDC: ``issuer``,
    ``authorizationUrl``, ``tokenUrl``, ``jwksUrl``, ``clientId`` (all required), ``clientSecret``
    (required to create; left out of an update, Keycloak keeps the stored one), ``userInfoUrl``,
    ``logoutUrl``. SAML: ``idpEntityId``, ``singleSignOnServiceUrl``, ``signingCertificate`` (base64
    DER or PEM; several separated by commas; all required), ``singleLogoutServiceUrl``,
    ``nameIDPolicyFormat`` (persistent, the default, or emailAddress) and ``wantAuthnRequestsSigned``
    (``"true"``, the default: the realm signs its requests with its own key). The security settings
    (signature validation, PKCE, bindings...) are Enclave's and cannot be given.
    """

    alias: str  # the provider's name in the realm and in its URLs: an organization-slug-like token
    kind: IdentityProviderKind
    display_name: str
    config: dict[str, str]

    def __repr__(self) -> str:  # the client secret stays out of reprs, tracebacks and logs
        shown = {key: (SECRET_MASK if key == "clientSecret" else value) for key, value in self.config.items()}
        return (
            f"IdentityProviderSpec(alias={self.alias!r}, kind={self.kind!r}, "
            f"display_name={self.display_name!r}, config={shown!r})"
        )


def check_identity_provider_alias(alias: str) -> str:
    """``alias`` if it is a valid identity provider alias (it becomes a URL path segment)."""
    if not REALM_NAME.match(alias):
        raise IdentityProviderInvalid("An identity provider's alias is 1-63 of a-z, 0-9 and '-'.")
    return alias


# What an admin gives (required, optional) and what Enclave sets itself, per kind of provider.
_OIDC_REQUIRED: Final = ("issuer", "authorizationUrl", "tokenUrl", "jwksUrl", "clientId")
_OIDC_OPTIONAL: Final = ("clientSecret", "userInfoUrl", "logoutUrl")
_OIDC_ENFORCED: Final = {
    # The ID token's signature is checked with the provider's current keys, fetched from its JWKS URL.
    "validateSignature": "true",
    "useJwksUrl": "true",
    "pkceEnabled": "true",
    "pkceMethod": "S256",
    "clientAuthMethod": "client_secret_post",
    "defaultScope": "openid email profile",
    "syncMode": IDP_SYNC_MODE,
}
_SAML_REQUIRED: Final = ("idpEntityId", "singleSignOnServiceUrl", "signingCertificate")
_SAML_OPTIONAL: Final = ("singleLogoutServiceUrl", "nameIDPolicyFormat", "wantAuthnRequestsSigned")
_SAML_DEFAULTS: Final = {"nameIDPolicyFormat": NAMEID_PERSISTENT, "wantAuthnRequestsSigned": "true"}
_SAML_ENFORCED: Final = {
    # The response's and the assertion's signatures are checked against the configured certificate,
    # and an unsigned assertion is refused.
    "validateSignature": "true",
    "wantAssertionsSigned": "true",
    "signatureAlgorithm": "RSA_SHA256",
    "postBindingAuthnRequest": "true",
    "postBindingResponse": "true",
    "postBindingLogout": "true",
    "principalType": "SUBJECT",  # the federated identity is the NameID
    "allowCreate": "true",
    "syncMode": IDP_SYNC_MODE,
}
_NAMEID_FORMATS: Final = frozenset({NAMEID_PERSISTENT, NAMEID_EMAIL})
_PEM_ARMOR = re.compile(r"-----(BEGIN|END) CERTIFICATE-----|\s+")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")

# Where each imported user attribute comes from: (user attribute, OIDC claim, SAML attribute name).
IDP_ATTRIBUTES: Final = (
    ("email", "email", "email"),
    ("firstName", "given_name", "firstName"),
    ("lastName", "family_name", "lastName"),
)


def _points_inside(url: str, keycloak_url: str | None) -> bool:
    """Whether an https URL names this host or a link-local address (a cloud metadata service, say)
    instead of a provider: Keycloak fetches some of these URLs itself, from inside the installation.
    The installation's own Keycloak (``keycloak_url``, a configured endpoint: one realm brokering
    another) is allowed, and so are private addresses — a company's provider lives on its network."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        if keycloak_url is not None:
            own = urlsplit(keycloak_url)
            if (host, parts.port or 443) == ((own.hostname or "").lower(), own.port or 443):
                return False
    except ValueError:
        return True  # a URL Python cannot parse is not one to hand Keycloak either
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    if re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)", host):
        return True  # a whole address as one number (2130706433 is 127.0.0.1)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: resolved by the installation's DNS, like any provider's
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast


def _checked_config(spec: IdentityProviderSpec, keycloak_url: str | None) -> dict[str, str]:
    required, optional = (
        (_OIDC_REQUIRED, _OIDC_OPTIONAL) if spec.kind == "oidc" else (_SAML_REQUIRED, _SAML_OPTIONAL)
    )
    unknown = sorted(set(spec.config) - set(required) - set(optional))
    if unknown:
        raise IdentityProviderInvalid(
            f"Identity provider {spec.alias}: {', '.join(unknown)} cannot be set (unknown, or Enclave's own)."
        )
    missing = [key for key in required if not spec.config.get(key, "").strip()]
    if missing:
        raise IdentityProviderInvalid(f"Identity provider {spec.alias}: {', '.join(missing)} is required.")
    # An empty optional setting counts as not given (an empty clientSecret keeps the stored one).
    config = {key: value.strip() for key, value in spec.config.items() if value.strip()}
    for key, value in config.items():
        if key.endswith("Url") and not value.lower().startswith("https://"):
            raise IdentityProviderInvalid(f"Identity provider {spec.alias}: {key} must be an https URL.")
        if key.endswith("Url") and _points_inside(value, keycloak_url):
            raise IdentityProviderInvalid(
                f"Identity provider {spec.alias}: {key} names a loopback, link-local or unspecified address."
            )
    if spec.kind == "saml":
        config = {**_SAML_DEFAULTS, **config}
        certificates = [_PEM_ARMOR.sub("", part) for part in config["signingCertificate"].split(",")]
        if not all(_BASE64.match(certificate) for certificate in certificates):
            raise IdentityProviderInvalid(
                f"Identity provider {spec.alias}: signingCertificate is not a base64 or PEM certificate."
            )
        config["signingCertificate"] = ",".join(certificates)
        if config["nameIDPolicyFormat"] not in _NAMEID_FORMATS:
            raise IdentityProviderInvalid(
                f"Identity provider {spec.alias}: nameIDPolicyFormat must be persistent or emailAddress."
            )
        if config["wantAuthnRequestsSigned"] not in {"true", "false"}:
            raise IdentityProviderInvalid(
                f"Identity provider {spec.alias}: wantAuthnRequestsSigned must be true or false."
            )
    return config


def build_identity_provider(spec: IdentityProviderSpec, keycloak_url: str | None = None) -> dict[str, Any]:
    """The IdentityProviderRepresentation of an organization's provider (it holds the client secret
    if the spec has one: never log it). :class:`IdentityProviderInvalid` for a spec that cannot work."""
    check_identity_provider_alias(spec.alias)
    if spec.kind not in ("oidc", "saml"):
        raise IdentityProviderInvalid(f"Identity provider {spec.alias}: the kind is oidc or saml.")
    if not spec.display_name.strip():
        raise IdentityProviderInvalid(f"Identity provider {spec.alias}: a display name is required.")
    enforced = _OIDC_ENFORCED if spec.kind == "oidc" else _SAML_ENFORCED
    return {
        "alias": spec.alias,
        "displayName": spec.display_name.strip(),
        "providerId": spec.kind,
        "enabled": True,
        # The organization's admin vouches for the addresses its provider asserts: Keycloak marks them
        # verified, and Enclave links a first sign-in to a member by verified e-mail address.
        "trustEmail": True,
        "storeToken": False,
        "addReadTokenRoleOnCreate": False,
        "linkOnly": False,
        "firstBrokerLoginFlowAlias": FIRST_BROKER_LOGIN_FLOW,
        "config": {**_checked_config(spec, keycloak_url), **enforced},
    }


def build_identity_provider_mappers(spec: IdentityProviderSpec) -> list[dict[str, Any]]:
    """The provider's mappers: e-mail, first and last name imported into the user, and a username
    that names the provider and the provider's subject (so two providers' users never collide on a
    username, which would send the second into Keycloak's account linking)."""
    oidc = spec.kind == "oidc"
    mappers: list[dict[str, Any]] = [
        {
            "name": user_attribute,
            "identityProviderAlias": spec.alias,
            "identityProviderMapper": "oidc-user-attribute-idp-mapper"
            if oidc
            else "saml-user-attribute-idp-mapper",
            "config": {"syncMode": "INHERIT", "user.attribute": user_attribute}
            | ({"claim": claim} if oidc else {"attribute.name": saml_attribute}),
        }
        for user_attribute, claim, saml_attribute in IDP_ATTRIBUTES
    ]
    mappers.append(
        {
            "name": "username",
            "identityProviderAlias": spec.alias,
            "identityProviderMapper": "oidc-username-idp-mapper" if oidc else "saml-username-idp-mapper",
            "config": {
                "syncMode": "INHERIT",
                "template": "${ALIAS}.${CLAIM.sub}" if oidc else "${ALIAS}.${NAMEID}",
                "target": "LOCAL",
            },
        }
    )
    return mappers


def ensure_review_profile_mode(api: RealmAdmin) -> None:
    """Makes the realm's first-broker-login flow show its review-profile form only when the provider
    left out a field the user profile requires."""
    flow = quote(FIRST_BROKER_LOGIN_FLOW, safe="")
    for execution in api.get(f"/authentication/flows/{flow}/executions"):
        if execution.get("providerId") != REVIEW_PROFILE_AUTHENTICATOR:
            continue
        config_id = execution.get("authenticationConfig")
        if config_id is None:
            config = {
                "alias": f"enclave-review-profile-{REVIEW_PROFILE_MODE}",
                "config": {REVIEW_PROFILE_SETTING: REVIEW_PROFILE_MODE},
            }
            api.post(f"/authentication/executions/{execution['id']}/config", config)
        else:
            current = api.get(f"/authentication/config/{config_id}")
            values = current.get("config") or {}
            if values.get(REVIEW_PROFILE_SETTING) == REVIEW_PROFILE_MODE:
                continue
            body = {**current, "config": {**values, REVIEW_PROFILE_SETTING: REVIEW_PROFILE_MODE}}
            api.put(f"/authentication/config/{config_id}", body)
        log.info("identity.realm.review_profile_set", realm=api.realm, mode=REVIEW_PROFILE_MODE)


def ensure_identity_provider_mappers(api: RealmAdmin, provider: IdentityProviderSpec) -> None:
    """Writes the mappers of :func:`build_identity_provider_mappers` the provider lacks, and removes
    any other."""
    path = f"/identity-provider/instances/{provider.alias}/mappers"
    written, strays = converge_mappers(api, path, build_identity_provider_mappers(provider))
    for name in written:
        log.info("identity.identity_provider.mapper_set", realm=api.realm, alias=provider.alias, mapper=name)
    for stray in strays:
        # A mapper Enclave did not define could set any attribute of the users the provider signs in.
        api.remove(f"{path}/{stray['id']}")
        log.info(
            "identity.identity_provider.mapper_removed",
            realm=api.realm,
            alias=provider.alias,
            mapper=stray["name"],
        )
