"""Keycloak's own events in the trail: each organization realm's logins, logouts, failed logins, MFA
and password changes and lockouts, pulled from Keycloak's event store into the audit outbox.

Owns reading those events as the audit service's own Keycloak client (a service account that may only
``view-events`` of the realms it was granted, one by one, as each realm was made), turning each into an
audit event (:func:`to_audit_event`, pure), and pulling each realm in one transaction that adds its
events to the outbox and moves its cursor in ``audit_sources`` (the statements are the outbox
repository's, ``db.repositories.audit_outbox``). An event's id is derived from its realm and Keycloak's
id for it, so reading an event again adds nothing: the cursor is re-read inclusively, with an overlap.
It must never record personal data from Keycloak's event details (no username or e-mail address: ids
and error codes only), never record an event Keycloak did not store, never put one realm's events in
another organization's chain, and never stop the audit service: Keycloak unreachable or refusing is a
warning, and the next round retries from the same cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import anyio.to_thread
import msgspec
import structlog
from keycloak import KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import AuditEvent, Detail, to_builtins
from enclave.db.repositories.audit_log import logged_event_ids
from enclave.db.repositories.audit_outbox import (
    Offered,
    advance_cursor,
    members_by_subject,
    offer_events,
    readable_organizations,
    source_cursor,
    try_lock_source,
)
from enclave.settings import AuditSettings, KeycloakSettings, TLSSettings, read_secret

log = structlog.get_logger(__name__)

#: The namespace of the event ids of pulled Keycloak events. Fixed for ever: an event pulled again,
#: by any replica, in any year, must get the same id.
EVENT_NAMESPACE: Final = uuid.UUID("a42b5327-5b8d-4718-84b6-025a0bc3b735")
#: One page of Keycloak's events, and how many pages one realm's transaction takes at most (the rest
#: follows in the next round).
PAGE_SIZE: Final = 100
MAX_PAGES: Final = 20
#: Each pull re-reads this much before its cursor: Keycloak stamps an event before it stores it, so an
#: event can appear after a later one. (Progress needs fewer than PAGE_SIZE * MAX_PAGES events of one
#: realm in this window.)
OVERLAP_MS: Final = 5_000
_MAX_DETAIL = 200
_MAX_SOURCE = 64

# What each Keycloak event type is in the trail; its ``_ERROR`` twin is the same action, failed.
_ACTIONS: Final[Mapping[str, AuditAction]] = {
    "LOGIN": AuditAction.AUTH_KEYCLOAK_LOGIN,
    "LOGOUT": AuditAction.AUTH_KEYCLOAK_LOGOUT,
    "CODE_TO_TOKEN": AuditAction.AUTH_TOKEN_EXCHANGE,
    "REFRESH_TOKEN": AuditAction.AUTH_TOKEN_REFRESH,
    "UPDATE_CREDENTIAL": AuditAction.AUTH_CREDENTIAL_UPDATE,
    "REMOVE_CREDENTIAL": AuditAction.AUTH_CREDENTIAL_REMOVE,
    "USER_DISABLED_BY_TEMPORARY_LOCKOUT": AuditAction.AUTH_USER_LOCK,
}
#: Keycloak's deprecated types, not recorded: Keycloak 26 sends each (and its ``_ERROR`` twin) together
#: with an UPDATE_CREDENTIAL or REMOVE_CREDENTIAL event that names the credential type, which is recorded.
SUPERSEDED: Final = frozenset({"UPDATE_PASSWORD", "UPDATE_TOTP", "REMOVE_TOTP"})
# Keycloak's credential events name the kind of credential; the two Enclave knows get their own action.
_CREDENTIAL_ACTIONS: Final[Mapping[tuple[AuditAction, str], AuditAction]] = {
    (AuditAction.AUTH_CREDENTIAL_UPDATE, "otp"): AuditAction.AUTH_MFA_ENROLL,
    (AuditAction.AUTH_CREDENTIAL_REMOVE, "otp"): AuditAction.AUTH_MFA_REMOVE,
    (AuditAction.AUTH_CREDENTIAL_UPDATE, "password"): AuditAction.AUTH_PASSWORD_UPDATE,
}
# Keycloak does these to the user; the user did not.
_DONE_BY_KEYCLOAK: Final = frozenset({AuditAction.AUTH_USER_LOCK})
# The event details that are identifiers or settings (never a username, e-mail address or redirect URI).
_DETAILS: Final[Mapping[str, str]] = {
    "credential_type": "credential_type",
    "identity_provider": "identity_provider",
    "auth_method": "auth_method",
}
_ERROR_SUFFIX: Final = "_ERROR"


class KeycloakEventsError(Exception):
    """Base of this module's errors; the message never holds a secret or personal data."""


class KeycloakEventsUnconfigured(KeycloakEventsError):
    """The audit service has no Keycloak client secret to read events with."""


class KeycloakEventsUnavailable(KeycloakEventsError):
    """Keycloak could not be reached, refused a request, or answered with something unreadable."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KeycloakEvent(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One of Keycloak's login events (its EventRepresentation), as much of it as the trail reads."""

    id: str
    time: int  # epoch milliseconds
    type: str
    client_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    ip_address: str | None = None
    error: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


def pulled_types(event_types: Sequence[str]) -> tuple[str, ...]:
    """The event types, of those a realm stores, that the trail records (a type it neither records
    nor knows to be :data:`SUPERSEDED` is a mapping to add: the unit tests check there is none)."""
    return tuple(kind for kind in event_types if kind.removesuffix(_ERROR_SUFFIX) in _ACTIONS)


def event_id(realm: str, keycloak_event_id: str) -> uuid.UUID:
    """The audit event id of a Keycloak event: the same for every pull of it."""
    return uuid.uuid5(EVENT_NAMESPACE, f"keycloak/{realm}/{keycloak_event_id}")


def action_of(event: KeycloakEvent) -> AuditAction | None:
    """The trail's action for the event; None for a type the trail does not record."""
    action = _ACTIONS.get(event.type.removesuffix(_ERROR_SUFFIX))
    if action is None:
        return None
    credential = str(event.details.get("credential_type") or "")
    return _CREDENTIAL_ACTIONS.get((action, credential), action)


def keycloak_user_ref(user_id: str) -> str:
    """``keycloak:<id>`` for a user Enclave does not know. A federated user's id (``f:<provider>:<its
    own id>``) may spell a directory name, so anything but a plain UUID is hashed."""
    try:
        return f"keycloak:{uuid.UUID(user_id)}"
    except ValueError:
        return f"keycloak:sha256:{hashlib.sha256(user_id.encode()).hexdigest()[:32]}"


def to_audit_event(
    realm: str, organization_id: uuid.UUID, event: KeycloakEvent, members: Mapping[str, uuid.UUID]
) -> AuditEvent | None:
    """The audit event of one Keycloak event of the organization's realm; None if the trail does not
    record its type. ``members``: Keycloak user id → the Enclave user it signs in (the actor is
    ``user:<id>`` for those, ``keycloak:<id>`` for others, ``anonymous`` if Keycloak named nobody)."""
    action = action_of(event)
    if action is None:
        return None
    if event.user_id is None:
        user = "anonymous"
    elif event.user_id in members:
        user = f"user:{members[event.user_id]}"
    else:
        user = keycloak_user_ref(event.user_id)
    details: dict[str, Detail] = {
        "realm": realm,
        "keycloak_event": event.id,
        "keycloak_type": event.type,
        "client": event.client_id,
        "error": event.error,
        "session": event.session_id,
    }
    for key, name in _DETAILS.items():
        if event.details.get(key) is not None:
            details[name] = str(event.details[key])
    seconds, millis = divmod(event.time, 1000)
    return AuditEvent(
        event_id=event_id(realm, event.id),
        organization_id=organization_id,
        occurred_at=dt.datetime.fromtimestamp(seconds, dt.UTC).replace(microsecond=millis * 1000),
        actor="system" if action in _DONE_BY_KEYCLOAK else user,
        action=action,
        # What was acted on: the user's account, or the realm itself when Keycloak named no user.
        target=f"realm:{realm}" if event.user_id is None else user,
        outcome=Outcome.FAILURE if event.type.endswith(_ERROR_SUFFIX) else Outcome.SUCCESS,
        source=event.ip_address[:_MAX_SOURCE] if event.ip_address else None,
        details={
            key: value[:_MAX_DETAIL] if isinstance(value, str) else value
            for key, value in details.items()
            if value is not None
        },
    )


class KeycloakEventReader:
    """Keycloak's admin REST API as the audit service's client (client credentials, TLS verified
    against the installation's CA): which realms it may read, and their events. Blocking calls."""

    def __init__(
        self, url: str, ca_file: Path, client_id: str, client_secret: str, *, timeout: int = 20
    ) -> None:
        self._connection = KeycloakOpenIDConnection(
            server_url=url,
            realm_name="master",
            client_id=client_id,
            client_secret_key=client_secret,
            grant_type="client_credentials",
            verify=str(ca_file),
            timeout=timeout,
        )

    def readable_realms(self) -> set[str]:
        """The realms whose events this client was granted (Keycloak lists exactly those, and refuses
        the list to a client granted none)."""
        try:
            realms = self._get("admin/realms", "realm list", briefRepresentation="true")
        except KeycloakEventsUnavailable as error:
            if error.status == 403:
                return set()
            raise
        if not isinstance(realms, list):
            raise KeycloakEventsUnavailable("Keycloak answered the realm list with something else")
        return {str(realm["realm"]) for realm in realms if isinstance(realm, dict) and "realm" in realm}

    def events(
        self, realm: str, types: Sequence[str], since_ms: int, first: int, page: int
    ) -> list[KeycloakEvent]:
        """One page of the realm's events of ``types`` from ``since_ms`` on (inclusive), oldest first."""
        body = self._get(
            f"admin/realms/{quote(realm, safe='')}/events",
            f"events of realm {realm}",
            type=list(types),
            dateFrom=str(since_ms),
            direction="asc",
            first=str(first),
            max=str(page),
        )
        try:
            return msgspec.convert(body, list[KeycloakEvent])
        except msgspec.ValidationError as error:
            raise KeycloakEventsUnavailable(
                f"Keycloak's events of realm {realm} are unreadable: {error}"
            ) from None

    def _get(self, path: str, what: str, **params: Any) -> Any:
        try:
            if self._connection.token is None:
                self._connection.get_token()
            response = self._connection.raw_get(path, **params)
        except KeycloakError as error:
            status = getattr(error, "response_code", None)
            raise KeycloakEventsUnavailable(
                f"Keycloak is unreachable or refused the audit client ({what})", status=status
            ) from None
        if response.status_code != 200:
            raise KeycloakEventsUnavailable(
                f"Keycloak refused the {what}: {response.status_code}", status=response.status_code
            )
        try:
            return response.json()
        except ValueError:
            raise KeycloakEventsUnavailable(f"Keycloak answered the {what} with something else") from None


class KeycloakEventSource:
    """Pulls every readable organization realm's new events into the outbox, realm by realm, each in
    one transaction with its cursor. Several replicas may run: a realm is pulled by one at a time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        audit: AuditSettings,
        keycloak: KeycloakSettings,
        tls: TLSSettings,
        *,
        event_types: Sequence[str] | None = None,
    ) -> None:
        if audit.keycloak_client_secret_file is None:
            raise KeycloakEventsUnconfigured(
                "The audit service's Keycloak client secret is not configured "
                "(ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE)."
            )
        if event_types is None:
            from enclave.identity.realm_settings import EVENT_TYPES  # what every organization realm stores

            event_types = EVENT_TYPES
        self._sessions = sessions
        self._reader = KeycloakEventReader(
            keycloak.url,
            tls.ca_file,
            audit.keycloak_client_id,
            read_secret(audit.keycloak_client_secret_file),
        )
        self._types = pulled_types(event_types)
        self._interval = audit.keycloak_pull_interval_s

    async def pull_once(self) -> int:
        """Pulls each organization realm's events since its cursor; returns how many new events went
        into the outbox. Keycloak being unreachable or refusing a realm is logged, not raised: that
        realm (or all, if Keycloak is down) is retried next round from the same cursor."""
        try:
            realms = await self._realms()
        except KeycloakEventsUnavailable as error:
            log.warning("audit_keycloak_pull_deferred", reason=str(error))
            return 0
        added = 0
        for realm, organization_id in realms:
            try:
                added += await self._pull_realm(realm, organization_id)
            except KeycloakEventsUnavailable as error:
                if error.status == 404:  # the realm was deleted since it was listed: nothing to pull
                    log.info("audit_keycloak_realm_gone", realm=realm)
                    continue
                log.warning("audit_keycloak_pull_deferred", realm=realm, reason=str(error))
        return added

    async def run(self, stop: asyncio.Event) -> None:
        """Pulls every ``keycloak_pull_interval_s`` until ``stop`` is set. A database failure is
        logged and retried like a Keycloak one, and so is anything unforeseen (each realm's pull is
        one transaction, so a failed round leaves nothing half done): this loop, which runs beside
        the drain and the signer, never ends the audit service."""
        while not stop.is_set():
            try:
                await self.pull_once()
            except (SQLAlchemyError, OSError) as error:
                log.warning("audit_keycloak_pull_failed", error=type(error).__name__)
            except Exception:  # see above: a bug here must not stop the trail
                log.exception("audit_keycloak_pull_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval)

    async def _realms(self) -> list[tuple[str, uuid.UUID]]:
        """(realm, organization) of each realm the client may read whose organization is not shredded."""
        readable = await anyio.to_thread.run_sync(self._reader.readable_realms)
        if not readable:
            return []
        async with self._sessions() as session:
            return await readable_organizations(session, readable)

    async def _pull_realm(self, realm: str, organization_id: uuid.UUID) -> int:
        source = f"keycloak/{realm}"
        async with self._sessions() as session, session.begin():
            if not await try_lock_source(session, source):
                return 0  # another replica is pulling this realm
            cursor = await source_cursor(session, organization_id, source)
            since = 0 if cursor is None else max(0, cursor - OVERLAP_MS)
            pulled: list[KeycloakEvent] = []
            for page in range(MAX_PAGES):
                batch = await anyio.to_thread.run_sync(
                    self._reader.events, realm, self._types, since, page * PAGE_SIZE, PAGE_SIZE
                )
                pulled.extend(batch)
                if len(batch) < PAGE_SIZE:
                    break
            if not pulled:
                return 0
            members = await members_by_subject(
                session, organization_id, {e.user_id for e in pulled if e.user_id}
            )
            events = [
                audit_event
                for event in pulled
                if (audit_event := to_audit_event(realm, organization_id, event, members)) is not None
            ]
            added = await self._add(session, events)
            # In the transaction that added the events: the cursor never runs ahead of them.
            await advance_cursor(session, organization_id, source, max(event.time for event in pulled))
        if added:
            log.info("audit_keycloak_events_pulled", realm=realm, events=added)
        return added

    @staticmethod
    async def _add(session: AsyncSession, events: list[AuditEvent]) -> int:
        """Adds the events not yet in the trail to the outbox; returns how many it added."""
        if not events:
            return 0
        logged = await logged_event_ids(session, [e.event_id for e in events])
        new = [event for event in events if event.event_id not in logged]
        return await offer_events(
            session, [Offered(e.event_id, e.organization_id, to_builtins(e)) for e in new]
        )
