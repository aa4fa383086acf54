"""An organization realm's own settings: its login, password, brute-force, event, OTP and session policy.

Owns what Enclave wants of one organization's realm (:class:`RealmSpec`, and the one an organization
needs for a given public URL), the realm representation built from it, the lifespans of its tokens and
SSO sessions, the login events it stores, and the step that creates the realm or brings its settings in
line (reading what Keycloak holds and writing only the difference). Its client, authentication flows
and identity providers are the other modules' concern. Must never loosen a policy Enclave sets (a
realm has no self-registration, no e-mail reset, keeps brute-force protection on and stores its events)
and never touch a realm other than the spec's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import structlog

from enclave.identity.keycloak_admin import RealmAdmin, changed_keys

log = structlog.get_logger(__name__)

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


def ensure_realm_settings(api: RealmAdmin, spec: RealmSpec) -> None:
    """Creates the realm ``api`` is bound to, or writes the settings of :func:`build_realm` it lacks."""
    desired = build_realm(spec)
    if not api.exists() and api.create_realm(desired):
        log.info("identity.realm.created", realm=api.realm)
        return
    current = api.get()
    changed = changed_keys(current, desired)
    if changed:
        api.put("", desired)
        log.info("identity.realm.updated", realm=api.realm, fields=changed)
