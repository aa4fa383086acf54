"""Keycloak realms: one per organization, created and kept in line with Enclave's settings.

Owns each organization's realm (its login, password, brute-force, event, OTP and session policy),
the realm's one confidential OIDC client ``enclave-web`` (code flow with PKCE S256 only, exact
redirect URIs, back-channel logout, an audience and an AMR mapper), the authentication-method
references of the browser flow (``pwd``, ``otp``) the AMR mapper reads, MFA (``CONFIGURE_TOTP`` as a
default and per-user required action), the users created for members, and the organization's own
identity providers (its company OIDC or SAML sign-in, brokered by the realm, with the mappers that
import e-mail and names). Every change is idempotent: the service reads what Keycloak holds, compares
it with what Enclave wants and writes only the difference. It must never log a secret (client secret,
password) or a representation that may hold one (an identity provider's holds its client secret), and
never touch a realm other than the one it was asked about: every admin request is built from that one
realm's path, and the ``master`` realm (Keycloak's own administration) is refused — save for one
grant made there: the audit service's client may read each organization realm's login events
(``view-events`` of that realm's management client), and nothing else of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote

import structlog
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from requests import Response

from enclave.settings import KeycloakSettings, TLSSettings, read_secret

log = structlog.get_logger(__name__)

WEB_CLIENT_ID: Final = "enclave-web"
#: The audit service's client in the master realm (service account only), and the one role it gets of
#: each organization realm: reading its login events.
AUDIT_CLIENT_ID: Final = "enclave-audit"
EVENT_READER_ROLE: Final = "view-events"
CONFIGURE_TOTP: Final = "CONFIGURE_TOTP"

# A realm name is an organization slug: a DNS-label-like token, so it is safe in a URL path, a
# cookie and a log line as is.
_REALM_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_REFUSED_REALMS: Final = frozenset({"master"})

# Lifespans, in seconds. The browser's session lives in Enclave (backend-for-frontend); Keycloak's
# SSO session bounds how long a refresh token can renew it.
ACCESS_TOKEN_LIFESPAN_S: Final = 5 * 60
SSO_SESSION_IDLE_S: Final = 30 * 60
SSO_SESSION_MAX_S: Final = 10 * 60 * 60
EVENTS_EXPIRATION_S: Final = 90 * 24 * 60 * 60

PASSWORD_POLICY: Final = "length(12) and notUsername and notEmail and passwordHistory(5)"  # noqa: S105 - the policy, not a password

# Login events kept in Keycloak's store (its admin events are all kept, with their details).
EVENT_TYPES: Final = (
    "LOGIN",
    "LOGIN_ERROR",
    "LOGOUT",
    "LOGOUT_ERROR",
    "CODE_TO_TOKEN",
    "CODE_TO_TOKEN_ERROR",
    "REFRESH_TOKEN_ERROR",
    "UPDATE_PASSWORD",
    "UPDATE_PASSWORD_ERROR",
    "UPDATE_TOTP",
    "UPDATE_TOTP_ERROR",
    "REMOVE_TOTP",
    "UPDATE_CREDENTIAL",
    "UPDATE_CREDENTIAL_ERROR",
    "REMOVE_CREDENTIAL",
    "USER_DISABLED_BY_TEMPORARY_LOCKOUT",
)

# The reference value each browser-flow authenticator adds to the ``amr`` claim (RFC 8176 names).
# Keycloak's AMR mapper reads them from the execution's config; without one an authenticator adds
# nothing. The max age is how long after the authentication a token (also a refreshed one) still
# names it: the SSO session's maximum, so a session's tokens keep saying how it began.
AMR_REFERENCES: Final = {"auth-username-password-form": "pwd", "auth-otp-form": "otp"}
AMR_MAX_AGE_S: Final = SSO_SESSION_MAX_S

# Identity providers. A user who first signs in through one is created by Keycloak's "first broker
# login" flow; its review-profile step shows a form only when the provider left out a field the user
# profile requires (e-mail, first and last name), which the mappers below import.
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


class IdentityError(Exception):
    """Base of the identity package's errors; the message never holds a secret."""


class RealmRefused(IdentityError):
    """The name is not an organization realm Enclave may manage (``master``, or malformed)."""


class RealmNotFound(IdentityError):
    """The realm does not exist (yet): ``ensure_realm`` has not run for this organization."""


class KeycloakRequestFailed(IdentityError):
    """Keycloak answered an admin request with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason  # Keycloak's error code (e.g. ``invalidPasswordMinLengthMessage``)


class PasswordRejected(KeycloakRequestFailed):
    """The realm's password policy refused the password; ``reason`` says which rule."""


class IdentityProviderInvalid(IdentityError):
    """An identity provider's spec can never work (a missing, unknown or insecure setting); the
    message names the setting, never its value."""


@dataclass(frozen=True)
class RealmSpec:
    """What Enclave wants of one organization's realm."""

    slug: str  # realm name == organization slug
    display_name: str
    redirect_uris: list[str]  # e.g. ["https://localhost:8443/auth/callback"]
    post_logout_redirect_uris: list[str]
    backchannel_logout_url: str  # e.g. "https://localhost:8443/auth/backchannel-logout"
    web_origins: list[str]
    mfa_required: bool = False


@dataclass(frozen=True)
class RealmClient:
    """How the api talks to the realm: its web client's credentials and the realm's issuer."""

    realm: str
    client_id: str
    client_secret: str
    issuer: str

    def __repr__(self) -> str:  # the secret stays out of reprs, tracebacks and logs
        return f"RealmClient(realm={self.realm!r}, client_id={self.client_id!r}, issuer={self.issuer!r})"


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


def check_realm_name(realm: str) -> str:
    """``realm`` if Enclave may manage it; :class:`RealmRefused` for ``master`` or a malformed name."""
    if realm.lower() in _REFUSED_REALMS:
        raise RealmRefused("The master realm is Keycloak's own administration; Enclave never manages it.")
    if not _REALM_NAME.match(realm):
        raise RealmRefused("A realm name is an organization slug: 1-63 of a-z, 0-9 and '-'.")
    return realm


def check_identity_provider_alias(alias: str) -> str:
    """``alias`` if it is a valid identity provider alias (it becomes a URL path segment)."""
    if not _REALM_NAME.match(alias):
        raise IdentityProviderInvalid("An identity provider's alias is 1-63 of a-z, 0-9 and '-'.")
    return alias


# -- Pure builders: what Enclave wants, as Keycloak representations -------------------------------


def build_realm(spec: RealmSpec) -> dict[str, Any]:
    """The RealmRepresentation fields Enclave sets (others keep Keycloak's defaults)."""
    return {
        "realm": spec.slug,
        "displayName": spec.display_name,
        "enabled": True,
        "sslRequired": "all",
        # Members are created by their organization's admins through Enclave: nobody signs up.
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "editUsernameAllowed": False,
        "rememberMe": False,
        # No self-service reset: it works by e-mail, which an air-gapped installation may not have,
        # and a mailbox would become a way into the account. An organization admin sets a new
        # temporary password through Enclave instead.
        "resetPasswordAllowed": False,
        "verifyEmail": False,
        "passwordPolicy": PASSWORD_POLICY,
        "bruteForceProtected": True,
        "permanentLockout": False,
        "failureFactor": 5,
        "waitIncrementSeconds": 60,
        "maxFailureWaitSeconds": 900,
        "minimumQuickLoginWaitSeconds": 60,
        "quickLoginCheckMilliSeconds": 1000,
        "maxDeltaTimeSeconds": 12 * 60 * 60,
        "eventsEnabled": True,
        "eventsExpiration": EVENTS_EXPIRATION_S,
        "enabledEventTypes": list(EVENT_TYPES),
        "adminEventsEnabled": True,
        "adminEventsDetailsEnabled": True,
        # TOTP as authenticator apps (and pyotp) compute it by default; a code is good once.
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyPeriod": 30,
        "otpPolicyLookAheadWindow": 1,
        "otpPolicyCodeReusable": False,
        "accessTokenLifespan": ACCESS_TOKEN_LIFESPAN_S,
        "ssoSessionIdleTimeout": SSO_SESSION_IDLE_S,
        "ssoSessionMaxLifespan": SSO_SESSION_MAX_S,
        "attributes": {"adminEventsExpiration": str(EVENTS_EXPIRATION_S)},
    }


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


def amr_config_alias(reference: str) -> str:
    """The alias of an AMR authenticator config; it names the values, as Keycloak's admin API masks them."""
    return f"enclave-amr-{reference}-maxage-{AMR_MAX_AGE_S}"


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


def _checked_config(spec: IdentityProviderSpec) -> dict[str, str]:
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


def build_identity_provider(spec: IdentityProviderSpec) -> dict[str, Any]:
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
        "config": {**_checked_config(spec), **enforced},
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


def _differs(current: Any, desired: Any) -> bool:
    """True if ``desired`` is not contained in ``current``: dict keys Enclave does not set are ignored,
    lists of strings compare as sets (Keycloak does not keep their order)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(_differs(current.get(key), value) for key, value in desired.items())
    if desired == "" and current is None:  # Keycloak drops an empty attribute rather than store it
        return False
    if isinstance(desired, list) and all(isinstance(item, str) for item in desired):
        return not isinstance(current, list) or sorted(current) != sorted(desired)
    return bool(current != desired)


def _changed_keys(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    return sorted(key for key, value in desired.items() if _differs(current.get(key), value))


# -- Admin REST calls, one realm at a time --------------------------------------------------------


class _RealmAdmin:
    """Admin REST calls for one realm: under ``admin/realms/<realm>``, plus that realm's creation.

    python-keycloak's per-realm methods act on the admin object's mutable "current realm", which
    every user of that object shares; building each path from this one realm instead means a call
    can never land in another tenant's realm, whatever else runs at the same time. The connection
    (its token, refresh and TLS verification) is python-keycloak's.
    """

    def __init__(self, admin: KeycloakAdmin, realm: str) -> None:
        self._bind(admin, check_realm_name(realm))

    @classmethod
    def master(cls, admin: KeycloakAdmin) -> _RealmAdmin:
        """Keycloak's own realm, for the one thing Enclave does there:
        :meth:`RealmService.grant_event_reader`."""
        api = cls.__new__(cls)
        api._bind(admin, "master")
        return api

    def _bind(self, admin: KeycloakAdmin, realm: str) -> None:
        self.realm = realm
        self._connection = admin.connection
        self._base = f"admin/realms/{quote(self.realm, safe='')}"

    def request(
        self, method: str, path: str = "", body: Any = None, *, missing_ok: bool = False, **params: Any
    ) -> Response | None:
        """The response to a successful request (``None`` for a 404 if ``missing_ok``);
        :class:`RealmNotFound` if the realm itself is missing, :class:`KeycloakRequestFailed` for any
        other error. Keycloak's error *code* is kept, never a request body."""
        return self._send(
            method, f"{self._base}{path}", body, params, label=path or "/", missing_ok=missing_ok
        )

    def create_realm(self, representation: dict[str, Any]) -> bool:
        """Creates this realm; False if it already exists."""
        if representation.get("realm") != self.realm:
            raise RealmRefused("A realm is created under its own name only.")
        created = self._send("POST", "admin/realms", representation, {}, label="(create)", conflict_ok=True)
        return created is not None

    def _send(
        self,
        method: str,
        url: str,
        body: Any,
        params: dict[str, Any],
        *,
        label: str,
        missing_ok: bool = False,
        conflict_ok: bool = False,
    ) -> Response | None:
        data = None if body is None else json.dumps(body)
        try:
            if method == "GET":
                response: Response = self._connection.raw_get(url, **params)
            elif method == "POST":
                response = self._connection.raw_post(url, data=data, **params)
            elif method == "PUT":
                response = self._connection.raw_put(url, data=data, **params)
            else:
                response = self._connection.raw_delete(url, **params)
        except KeycloakError as error:
            raise KeycloakRequestFailed(
                f"Keycloak is unreachable ({method} {label} in realm {self.realm})"
            ) from error
        if response.status_code < 400:
            return response
        if (response.status_code == 404 and missing_ok) or (response.status_code == 409 and conflict_ok):
            return None
        if response.status_code == 404 and label == "/":
            raise RealmNotFound(f"There is no realm {self.realm!r}.")
        reason = _keycloak_reason(response)
        raise KeycloakRequestFailed(
            f"Keycloak refused {method} {label} in realm {self.realm}: {response.status_code}"
            + (f" {reason}" if reason else ""),
            status=response.status_code,
            reason=reason,
        )

    def exists(self) -> bool:
        return self.request("GET", missing_ok=True) is not None

    def get(self, path: str = "", **params: Any) -> Any:
        response = self.request("GET", path, **params)
        return response.json() if response is not None else None

    def post(self, path: str, body: Any) -> str | None:
        """Creates; the new object's id (from ``Location``), if Keycloak names one."""
        response = self.request("POST", path, body)
        location = response.headers.get("Location") if response is not None else None
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    def put(self, path: str, body: Any) -> None:
        self.request("PUT", path, body)

    def find(self, path: str, **params: Any) -> Any:
        """The object at ``path``, or ``None`` if there is none."""
        response = self.request("GET", path, missing_ok=True, **params)
        return response.json() if response is not None else None

    def remove(self, path: str) -> bool:
        """Deletes the object at ``path``; False if it was already gone."""
        return self.request("DELETE", path, missing_ok=True) is not None

    def delete(self) -> bool:
        """Deletes this realm; False if it was already gone."""
        return self.request("DELETE", missing_ok=True) is not None


def _keycloak_reason(response: Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    reason = body.get("errorMessage") or body.get("error")
    return str(reason)[:200] if reason else None


# -- The service -----------------------------------------------------------------------------------


class RealmService:
    """Creates, updates and deletes organization realms through an admin of the master realm."""

    def __init__(self, admin: KeycloakAdmin, *, event_reader: str = AUDIT_CLIENT_ID) -> None:
        self._admin = admin
        self._url = str(admin.connection.server_url).rstrip("/")
        self._event_reader = event_reader

    def issuer(self, realm: str) -> str:
        return f"{self._url}/realms/{check_realm_name(realm)}"

    def ensure_realm(self, spec: RealmSpec) -> RealmClient:
        """Creates the organization's realm or brings it in line with ``spec``; returns its web client."""
        api = _RealmAdmin(self._admin, spec.slug)
        self._ensure_realm_settings(api, spec)
        self._ensure_amr_references(api)
        client_uuid = self._ensure_web_client(api, spec)
        self._apply_mfa(api, spec.mfa_required)
        self.grant_event_reader(spec.slug)
        secret = api.get(f"/clients/{client_uuid}/client-secret")["value"]
        return RealmClient(
            realm=spec.slug, client_id=WEB_CLIENT_ID, client_secret=str(secret), issuer=self.issuer(spec.slug)
        )

    def grant_event_reader(self, realm: str) -> None:
        """Lets the audit service's client read the realm's login events, and nothing else of it: its
        service account gets ``view-events`` of ``<realm>-realm``, the client of the master realm through
        which Keycloak administers that realm. Idempotent. :class:`KeycloakRequestFailed` if the audit
        client (or its service account) is missing: the installation's bootstrap makes it, and a realm
        whose events the trail cannot read is not finished. :class:`RealmNotFound` if the realm is."""
        check_realm_name(realm)
        master = _RealmAdmin.master(self._admin)
        reader = master.get("/clients", clientId=self._event_reader)
        if not reader:
            raise KeycloakRequestFailed(
                f"Keycloak has no client {self._event_reader} in the master realm, so the audit service "
                f"could not read realm {realm}'s login events (the installation's bootstrap creates it)"
            )
        account = master.get(f"/clients/{reader[0]['id']}/service-account-user")
        managing = master.get("/clients", clientId=f"{realm}-realm")
        if not managing:
            raise RealmNotFound(f"There is no realm {realm!r}.")
        mappings = f"/users/{account['id']}/role-mappings/clients/{managing[0]['id']}"
        if any(role.get("name") == EVENT_READER_ROLE for role in master.get(mappings)):
            return
        role = master.get(f"/clients/{managing[0]['id']}/roles/{EVENT_READER_ROLE}")
        master.request("POST", mappings, [role])
        log.info("identity.realm.event_reader_granted", realm=realm, client_id=self._event_reader)

    def set_mfa_required(self, realm: str, required: bool) -> None:
        """Turns MFA on or off for the realm.

        On: ``CONFIGURE_TOTP`` becomes a default required action (new users enrol at first login) and
        is added to every existing user without an OTP credential. Off: it stops being a default and is
        taken back from the users who never configured OTP; a user who has OTP keeps it, and Keycloak's
        browser flow keeps asking them for a code (its conditional 2FA sub-flow runs for any user with
        an OTP credential).
        """
        api = _RealmAdmin(self._admin, realm)
        if not api.exists():
            raise RealmNotFound(f"There is no realm {realm!r}.")
        self._apply_mfa(api, required)

    def create_user(
        self,
        realm: str,
        *,
        email: str,
        first_name: str,
        last_name: str,
        password: str | None,
        temporary_password: bool = True,
        required_actions: Sequence[str] = (),
    ) -> str:
        """The Keycloak id of the realm's user with this e-mail address, created if there is none.

        The username is the (lower-cased) e-mail address, and the address counts as verified: an
        organization admin entered it, and Enclave links a first sign-in to its member by verified
        e-mail. An existing user is returned as is (no name, password or action is changed). Keycloak
        adds the realm's default required actions itself (``CONFIGURE_TOTP`` when MFA is required).
        :class:`PasswordRejected` if the realm's password policy refuses ``password``.
        """
        api = _RealmAdmin(self._admin, realm)
        email = email.strip().lower()
        existing = self._user_by_email(api, email)
        if existing is not None:
            return existing
        user: dict[str, Any] = {
            "username": email,
            "email": email,
            "emailVerified": True,
            "firstName": first_name,
            "lastName": last_name,
            "enabled": True,
            "requiredActions": list(dict.fromkeys(required_actions)),
        }
        if password is not None:
            user["credentials"] = [{"type": "password", "value": password, "temporary": temporary_password}]
        try:
            user_id = api.post("/users", user)
        except KeycloakRequestFailed as error:
            if error.status == 409:  # created meanwhile by someone else: same outcome
                found = self._user_by_email(api, email)
                if found is not None:
                    return found
            if error.status == 400 and error.reason and "password" in error.reason.lower():
                raise PasswordRejected(str(error), status=error.status, reason=error.reason) from None
            raise
        if user_id is None:  # pragma: no cover - Keycloak always names the created user
            raise KeycloakRequestFailed(f"Keycloak created a user in realm {realm} without naming it")
        log.info("identity.user.created", realm=realm, user_id=user_id)
        return user_id

    def delete_realm(self, realm: str) -> None:
        """Deletes the realm with its users, sessions and events; nothing happens if it is gone."""
        if _RealmAdmin(self._admin, realm).delete():
            log.info("identity.realm.deleted", realm=realm)

    # -- identity providers --

    def broker_endpoint(self, realm: str, alias: str) -> str:
        """Where the provider ``alias`` sends the browser back to the realm: the OIDC redirect URI and
        the SAML assertion consumer service. (The realm's SAML service-provider entity id is Keycloak's
        default, the realm's URL: :meth:`issuer`.)"""
        return f"{self.issuer(realm)}/broker/{check_identity_provider_alias(alias)}/endpoint"

    def ensure_identity_provider(self, realm: str, provider: IdentityProviderSpec) -> None:
        """Creates the organization's identity provider or brings it in line with ``provider``, with
        its mappers, and makes the realm's first-broker-login flow review a profile only when the
        provider left a required field out.

        Keycloak never returns a stored client secret, so it cannot be compared: a spec with one always
        writes it; a spec without one keeps the stored secret. :class:`IdentityProviderInvalid` for a
        spec that cannot work, :class:`RealmNotFound` if the realm does not exist.
        """
        desired = build_identity_provider(provider)
        api = _RealmAdmin(self._admin, realm)
        if not api.exists():
            raise RealmNotFound(f"There is no realm {realm!r}.")
        self._ensure_review_profile_mode(api)
        path = f"/identity-provider/instances/{provider.alias}"
        secret_given = "clientSecret" in desired["config"]
        current = api.find(path)
        if current is None:
            if provider.kind == "oidc" and not secret_given:
                raise IdentityProviderInvalid(
                    f"Identity provider {provider.alias}: clientSecret is required."
                )
            api.post("/identity-provider/instances", desired)
            log.info(
                "identity.identity_provider.created", realm=realm, alias=provider.alias, kind=provider.kind
            )
        else:
            if current.get("providerId") != desired["providerId"]:
                raise IdentityProviderInvalid(
                    f"Identity provider {provider.alias} exists as another kind; delete it first."
                )
            config = dict(desired["config"])
            comparable = {key: value for key, value in config.items() if key != "clientSecret"}
            changed = [key for key in _changed_keys(current, desired) if key != "config"]
            changed += [f"config.{key}" for key in _changed_keys(current.get("config") or {}, comparable)]
            if changed or secret_given:
                if not secret_given and "clientSecret" in (current.get("config") or {}):
                    config["clientSecret"] = SECRET_MASK  # Keycloak keeps the stored secret
                api.put(path, {**desired, "internalId": current["internalId"], "config": config})
                log.info(
                    "identity.identity_provider.updated",
                    realm=realm,
                    alias=provider.alias,
                    fields=changed,
                    secret_replaced=secret_given,
                )
        self._ensure_identity_provider_mappers(api, provider)

    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Removes the provider with its mappers and its users' links to it (the users stay and can no
        longer sign in through it); nothing happens if it, or the realm, is gone."""
        path = f"/identity-provider/instances/{check_identity_provider_alias(alias)}"
        if _RealmAdmin(self._admin, realm).remove(path):
            log.info("identity.identity_provider.deleted", realm=realm, alias=alias)

    def _ensure_identity_provider_mappers(self, api: _RealmAdmin, provider: IdentityProviderSpec) -> None:
        path = f"/identity-provider/instances/{provider.alias}/mappers"
        existing = {mapper["name"]: mapper for mapper in api.get(path)}
        for mapper in build_identity_provider_mappers(provider):
            current = existing.pop(mapper["name"], None)
            if current is None:
                api.post(path, mapper)
            elif _differs(current, mapper):
                api.put(f"{path}/{current['id']}", {**mapper, "id": current["id"]})
            else:
                continue
            log.info(
                "identity.identity_provider.mapper_set",
                realm=api.realm,
                alias=provider.alias,
                mapper=mapper["name"],
            )
        for stray in existing.values():
            # A mapper Enclave did not define could set any attribute of the users the provider signs in.
            api.remove(f"{path}/{stray['id']}")
            log.info(
                "identity.identity_provider.mapper_removed",
                realm=api.realm,
                alias=provider.alias,
                mapper=stray["name"],
            )

    def _ensure_review_profile_mode(self, api: _RealmAdmin) -> None:
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

    # -- steps of ensure_realm --

    def _ensure_realm_settings(self, api: _RealmAdmin, spec: RealmSpec) -> None:
        desired = build_realm(spec)
        if not api.exists() and api.create_realm(desired):
            log.info("identity.realm.created", realm=api.realm)
            return
        current = api.get()
        changed = _changed_keys(current, desired)
        if changed:
            api.put("", desired)
            log.info("identity.realm.updated", realm=api.realm, fields=changed)

    def _ensure_amr_references(self, api: _RealmAdmin) -> None:
        flow = quote(str(api.get()["browserFlow"]), safe="")
        for execution in api.get(f"/authentication/flows/{flow}/executions"):
            reference = AMR_REFERENCES.get(execution.get("providerId", ""))
            if reference is None:
                continue
            config = {
                "alias": amr_config_alias(reference),
                "config": {
                    "default.reference.value": reference,
                    "default.reference.maxAge": str(AMR_MAX_AGE_S),
                },
            }
            config_id = execution.get("authenticationConfig")
            if config_id is None:
                api.post(f"/authentication/executions/{execution['id']}/config", config)
            elif api.get(f"/authentication/config/{config_id}").get("alias") != config["alias"]:
                # Keycloak masks these values on reads, so the alias (which spells them) is compared.
                api.put(f"/authentication/config/{config_id}", {"id": config_id, **config})
            else:
                continue
            log.info(
                "identity.realm.amr_reference_set", realm=api.realm, authenticator=execution["providerId"]
            )

    def _ensure_web_client(self, api: _RealmAdmin, spec: RealmSpec) -> str:
        desired = build_web_client(spec)
        found = api.get("/clients", clientId=WEB_CLIENT_ID)
        if not found:
            client_uuid = api.post("/clients", desired)
            if client_uuid is None:  # pragma: no cover - Keycloak always names the created client
                raise KeycloakRequestFailed(
                    f"Keycloak created {WEB_CLIENT_ID} in {api.realm} without naming it"
                )
            log.info("identity.client.created", realm=api.realm, client_id=WEB_CLIENT_ID)
        else:
            current = found[0]
            client_uuid = str(current["id"])
            changed = _changed_keys(current, desired)
            if changed:
                api.put(f"/clients/{client_uuid}", {**current, **desired})
                log.info("identity.client.updated", realm=api.realm, client_id=WEB_CLIENT_ID, fields=changed)
        self._ensure_mappers(api, client_uuid)
        return client_uuid

    def _ensure_mappers(self, api: _RealmAdmin, client_uuid: str) -> None:
        path = f"/clients/{client_uuid}/protocol-mappers/models"
        existing = {mapper["name"]: mapper for mapper in api.get(path)}
        for mapper in build_web_client_mappers():
            current = existing.get(mapper["name"])
            if current is None:
                api.post(path, mapper)
            elif _differs(current, mapper):
                api.put(f"{path}/{current['id']}", {**mapper, "id": current["id"]})
            else:
                continue
            log.info("identity.client.mapper_set", realm=api.realm, mapper=mapper["name"])

    # -- MFA --

    def _apply_mfa(self, api: _RealmAdmin, required: bool) -> None:
        path = f"/authentication/required-actions/{CONFIGURE_TOTP}"
        action = api.get(path)
        if not action.get("enabled") or bool(action.get("defaultAction")) != required:
            api.put(path, {**action, "enabled": True, "defaultAction": required})
            log.info("identity.realm.mfa_set", realm=api.realm, required=required)
        for user in self._users(api):
            if user.get("serviceAccountClientLink") or user.get("totp"):
                continue
            actions: list[str] = list(user.get("requiredActions") or [])
            if required and CONFIGURE_TOTP not in actions:
                actions.append(CONFIGURE_TOTP)
            elif not required and CONFIGURE_TOTP in actions:
                actions.remove(CONFIGURE_TOTP)
            else:
                continue
            # The whole representation goes back: a partial one would clear the profile attributes
            # it leaves out (Keycloak's declarative user profile).
            api.put(f"/users/{user['id']}", {**user, "requiredActions": actions})
            log.info(
                "identity.user.mfa_enrolment_set", realm=api.realm, user_id=user["id"], required=required
            )

    @staticmethod
    def _users(api: _RealmAdmin, page: int = 100) -> Iterator[dict[str, Any]]:
        first = 0
        while True:
            batch = api.get("/users", first=first, max=page, briefRepresentation="false")
            yield from batch
            if len(batch) < page:
                return
            first += page

    @staticmethod
    def _user_by_email(api: _RealmAdmin, email: str) -> str | None:
        for user in api.get("/users", email=email, exact="true"):
            if str(user.get("email", "")).lower() == email:
                return str(user["id"])
        return None


def admin_from_settings(settings: KeycloakSettings, tls: TLSSettings) -> KeycloakAdmin:
    """An admin of the master realm, logged in as the installation's bootstrap admin."""
    if settings.admin_password_file is None:
        raise IdentityError("Keycloak's admin credentials are not configured (admin_password_file).")
    return KeycloakAdmin(
        server_url=settings.url,
        username=settings.admin_user,
        password=read_secret(settings.admin_password_file),
        realm_name="master",
        user_realm_name="master",
        client_id="admin-cli",
        verify=str(tls.ca_file),
        timeout=20,
    )


def realm_spec_for(slug: str, display_name: str, public_url: str, *, mfa_required: bool = False) -> RealmSpec:
    """The realm an organization needs for the api reachable at ``public_url``."""
    return RealmSpec(
        slug=slug,
        display_name=display_name,
        redirect_uris=[f"{public_url}/auth/callback"],
        post_logout_redirect_uris=[f"{public_url}/"],
        backchannel_logout_url=f"{public_url}/auth/backchannel-logout/{slug}",
        web_origins=[public_url],
        mfa_required=mfa_required,
    )
