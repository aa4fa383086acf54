"""How a realm's members authenticate: the browser flow's method references, and MFA enrolment.

Owns the authentication-method references (``pwd``, ``otp``) the browser flow's authenticators add to
the ``amr`` claim, which the web client's AMR mapper reads and the api checks MFA with, and MFA itself:
``CONFIGURE_TOTP`` as the realm's default required action and as each existing user's, on or off with
the organization's setting. The pure builders say what Keycloak should hold; the ``ensure``/``apply``
steps read what it holds and write only the difference. Must never take an OTP credential from a user
(turning MFA off only takes back an enrolment never made), never touch a service account's user, and
never send a user back without the rest of their representation (a partial one would clear their
profile attributes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote

import structlog

from enclave.identity.keycloak_admin import RealmAdmin
from enclave.identity.realm_settings import SSO_SESSION_MAX_S

log = structlog.get_logger(__name__)

CONFIGURE_TOTP: Final = "CONFIGURE_TOTP"

# The reference value each browser-flow authenticator adds to the ``amr`` claim (RFC 8176 names).
# Keycloak's AMR mapper reads them from the execution's config; without one an authenticator adds
# nothing. The max age is how long after the authentication a token (also a refreshed one) still
# names it: the SSO session's maximum, so a session's tokens keep saying how it began.
AMR_REFERENCES: Final = {"auth-username-password-form": "pwd", "auth-otp-form": "otp"}
AMR_MAX_AGE_S: Final = SSO_SESSION_MAX_S


def amr_config_alias(reference: str) -> str:
    """The alias of an AMR authenticator config; it names the values, as Keycloak's admin API masks them."""
    return f"enclave-amr-{reference}-maxage-{AMR_MAX_AGE_S}"


def build_amr_config(reference: str) -> dict[str, Any]:
    """The AuthenticatorConfigRepresentation that makes an authenticator add ``reference`` to ``amr``."""
    return {
        "alias": amr_config_alias(reference),
        "config": {
            "default.reference.value": reference,
            "default.reference.maxAge": str(AMR_MAX_AGE_S),
        },
    }


def mfa_enrolment_actions(user: dict[str, Any], required: bool) -> list[str] | None:
    """The user's required actions with ``CONFIGURE_TOTP`` added (MFA ``required``) or taken back (not),
    in their order; ``None`` if they need no change: already so, a service account's user, or a user
    who has OTP configured."""
    if user.get("serviceAccountClientLink") or user.get("totp"):
        return None
    actions: list[str] = list(user.get("requiredActions") or [])
    if required and CONFIGURE_TOTP not in actions:
        actions.append(CONFIGURE_TOTP)
    elif not required and CONFIGURE_TOTP in actions:
        actions.remove(CONFIGURE_TOTP)
    else:
        return None
    return actions


def ensure_amr_references(api: RealmAdmin) -> None:
    """Gives each authenticator of the realm's browser flow in :data:`AMR_REFERENCES` its AMR config."""
    flow = quote(str(api.get()["browserFlow"]), safe="")
    for execution in api.get(f"/authentication/flows/{flow}/executions"):
        reference = AMR_REFERENCES.get(execution.get("providerId", ""))
        if reference is None:
            continue
        config = build_amr_config(reference)
        config_id = execution.get("authenticationConfig")
        if config_id is None:
            api.post(f"/authentication/executions/{execution['id']}/config", config)
        elif api.get(f"/authentication/config/{config_id}").get("alias") != config["alias"]:
            # Keycloak masks these values on reads, so the alias (which spells them) is compared.
            api.put(f"/authentication/config/{config_id}", {"id": config_id, **config})
        else:
            continue
        log.info("identity.realm.amr_reference_set", realm=api.realm, authenticator=execution["providerId"])


def apply_mfa(api: RealmAdmin, required: bool) -> None:
    """Makes ``CONFIGURE_TOTP`` the realm's default required action or not, and adds it to (or takes it
    back from) every user who has no OTP configured."""
    path = f"/authentication/required-actions/{CONFIGURE_TOTP}"
    action = api.get(path)
    if not action.get("enabled") or bool(action.get("defaultAction")) != required:
        api.put(path, {**action, "enabled": True, "defaultAction": required})
        log.info("identity.realm.mfa_set", realm=api.realm, required=required)
    for user in _users(api):
        actions = mfa_enrolment_actions(user, required)
        if actions is None:
            continue
        # The whole representation goes back: a partial one would clear the profile attributes
        # it leaves out (Keycloak's declarative user profile).
        api.put(f"/users/{user['id']}", {**user, "requiredActions": actions})
        log.info("identity.user.mfa_enrolment_set", realm=api.realm, user_id=user["id"], required=required)


def _users(api: RealmAdmin, page: int = 100) -> Iterator[dict[str, Any]]:
    first = 0
    while True:
        batch = api.get("/users", first=first, max=page, briefRepresentation="false")
        yield from batch
        if len(batch) < page:
            return
        first += page
