"""Keycloak realms: one per organization, created and kept in line with Enclave's settings.

Owns :class:`RealmService`, the one facade the rest of Enclave calls to converge an organization's
realm: it runs, in order, the steps of the modules that own each concern (the realm's own settings in
:mod:`~enclave.identity.realm_settings`, its web client in :mod:`~enclave.identity.clients`, the
browser flow's method references and MFA in :mod:`~enclave.identity.authentication_flows`, the
organization's identity providers in :mod:`~enclave.identity.brokering`, all through the one-realm
admin calls of :mod:`~enclave.identity.keycloak_admin`), and itself creates the users of members and
grants the audit service's client the reading of each realm's login events. Every change is
idempotent: what Keycloak holds is read, compared with what Enclave wants and only the difference is
written. It must never log a secret (client secret, password) or a representation that may hold one
(an identity provider's holds its client secret), and never touch a realm other than the one it was
asked about: the ``master`` realm (Keycloak's own administration) is refused — save for one grant made
there: the audit service's client may read each organization realm's login events (``view-events`` of
that realm's management client), and nothing else of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote

import structlog
from keycloak import KeycloakAdmin

from enclave.identity.audit_client import ensure_audit_client
from enclave.identity.authentication_flows import apply_mfa, ensure_amr_references
from enclave.identity.brokering import (
    SECRET_MASK,
    IdentityProviderSpec,
    build_identity_provider,
    check_identity_provider_alias,
    ensure_identity_provider_mappers,
    ensure_review_profile_mode,
)
from enclave.identity.clients import WEB_CLIENT_ID, RealmClient, ensure_web_client
from enclave.identity.keycloak_admin import (
    IdentityProviderInvalid,
    KeycloakRequestFailed,
    PasswordRejected,
    RealmAdmin,
    RealmNotFound,
    changed_keys,
    check_realm_name,
)
from enclave.identity.realm_settings import RealmSpec, ensure_realm_settings

log = structlog.get_logger(__name__)

#: The audit service's client in the master realm (service account only), and the one role it gets of
#: each organization realm: reading its login events.
AUDIT_CLIENT_ID: Final = "enclave-audit"
EVENT_READER_ROLE: Final = "view-events"


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
        api = RealmAdmin(self._admin, spec.slug)
        ensure_realm_settings(api, spec)
        ensure_amr_references(api)
        client_uuid = ensure_web_client(api, spec)
        apply_mfa(api, spec.mfa_required)
        self.grant_event_reader(spec.slug)
        secret = api.get(f"/clients/{client_uuid}/client-secret")["value"]
        return RealmClient(
            realm=spec.slug, client_id=WEB_CLIENT_ID, client_secret=str(secret), issuer=self.issuer(spec.slug)
        )

    def ensure_event_reader_client(self, secret: str) -> list[str]:
        """Makes the audit service's client in the master realm, or puts back what differs; returns
        what was changed (``enclave.identity.audit_client``)."""
        return ensure_audit_client(self._admin, self._event_reader, secret)

    def grant_event_reader(self, realm: str) -> None:
        """Lets the audit service's client read the realm's login events, and nothing else of it: its
        service account gets ``view-events`` of ``<realm>-realm``, the client of the master realm through
        which Keycloak administers that realm. Idempotent. :class:`KeycloakRequestFailed` if the audit
        client (or its service account) is missing: the installation's bootstrap makes it, and a realm
        whose events the trail cannot read is not finished. :class:`RealmNotFound` if the realm is."""
        check_realm_name(realm)
        master = RealmAdmin.master(self._admin)
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
        api = RealmAdmin(self._admin, realm)
        if not api.exists():
            raise RealmNotFound(f"There is no realm {realm!r}.")
        apply_mfa(api, required)

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
        api = RealmAdmin(self._admin, realm)
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

    def user_enabled(self, realm: str, user_id: str) -> bool:
        """Whether the realm's user ``user_id`` (Keycloak's id, the ``sub`` of its tokens) exists and
        is enabled. A temporary brute-force lockout leaves it enabled: Keycloak refuses its sign-ins,
        and an attacker guessing a password must not be able to cut off its owner's keys.
        :class:`KeycloakRequestFailed` when Keycloak cannot be asked."""
        user = RealmAdmin(self._admin, realm).find(f"/users/{quote(user_id, safe='')}")
        return isinstance(user, dict) and user.get("enabled") is True

    def delete_realm(self, realm: str) -> None:
        """Deletes the realm with its users, sessions and events; nothing happens if it is gone."""
        if RealmAdmin(self._admin, realm).delete():
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
        desired = build_identity_provider(provider, self._url)  # this Keycloak may broker its own realms
        api = RealmAdmin(self._admin, realm)
        if not api.exists():
            raise RealmNotFound(f"There is no realm {realm!r}.")
        ensure_review_profile_mode(api)
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
            changed = [key for key in changed_keys(current, desired) if key != "config"]
            changed += [f"config.{key}" for key in changed_keys(current.get("config") or {}, comparable)]
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
        ensure_identity_provider_mappers(api, provider)

    def identity_providers(self, realm: str) -> list[tuple[str, str, str]]:
        """The realm's identity providers as (alias, kind, display name), by alias; none when the
        realm is gone."""
        api = RealmAdmin(self._admin, realm)
        found = api.find("/identity-provider/instances") or []
        return sorted(
            (str(p["alias"]), str(p.get("providerId", "")), str(p.get("displayName") or p["alias"]))
            for p in found
        )

    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Removes the provider with its mappers and its users' links to it (the users stay and can no
        longer sign in through it); nothing happens if it, or the realm, is gone."""
        path = f"/identity-provider/instances/{check_identity_provider_alias(alias)}"
        if RealmAdmin(self._admin, realm).remove(path):
            log.info("identity.identity_provider.deleted", realm=realm, alias=alias)

    @staticmethod
    def _user_by_email(api: RealmAdmin, email: str) -> str | None:
        for user in api.get("/users", email=email, exact="true"):
            if str(user.get("email", "")).lower() == email:
                return str(user["id"])
        return None
