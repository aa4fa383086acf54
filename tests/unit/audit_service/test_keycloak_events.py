"""Keycloak's events as audit events, in memory: which action each type is, who did it to what, the
outcome, the details kept (ids and error codes, never a username), and ids that never change."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit_service.keycloak_events import (
    SUPERSEDED,
    KeycloakEvent,
    KeycloakEventSource,
    KeycloakEventsUnconfigured,
    action_of,
    event_id,
    keycloak_user_ref,
    pulled_types,
    to_audit_event,
)
from enclave.identity.realm_settings import EVENT_TYPES
from enclave.settings import AuditSettings, KeycloakSettings, TLSSettings
from tests.support.tls import write_ca

ORG = uuid.UUID("11111111-2222-3333-4444-555555555555")
REALM = "acme"
KC_USER = "5b91b864-b77e-4d85-903a-97475edbb8c4"
MEMBER = uuid.UUID("99999999-8888-7777-6666-555555555555")
# As Keycloak 26 returns it (GET /admin/realms/{realm}/events), username and redirect URI included.
LOGIN_ERROR: dict[str, Any] = {
    "id": "c8a811c1-28c0-4820-9e9b-49a6f84f0e11",
    "time": 1795435077224,
    "type": "LOGIN_ERROR",
    "realmId": "3938a9b9-9ad4-450a-81e6-000000000000",
    "clientId": "enclave-web",
    "userId": KC_USER,
    "ipAddress": "10.1.2.3",
    "error": "invalid_user_credentials",
    "details": {
        "auth_method": "openid-connect",
        "auth_type": "code",
        "redirect_uri": "https://enclave.example/auth/callback",
        "code_id": "Y_K65S72e_Nx6CNPO3sZRwvc",
        "username": "ada@example.org",
    },
}


def event(**changes: Any) -> KeycloakEvent:
    return msgspec.convert(LOGIN_ERROR | changes, KeycloakEvent)


def audit(members: dict[str, uuid.UUID] | None = None, **changes: Any) -> Any:
    return to_audit_event(REALM, ORG, event(**changes), members if members is not None else {KC_USER: MEMBER})


class TestActions:
    @pytest.mark.parametrize(
        ("kind", "credential", "action", "outcome"),
        [
            ("LOGIN", None, AuditAction.AUTH_KEYCLOAK_LOGIN, Outcome.SUCCESS),
            ("LOGIN_ERROR", None, AuditAction.AUTH_KEYCLOAK_LOGIN, Outcome.FAILURE),
            ("LOGOUT", None, AuditAction.AUTH_KEYCLOAK_LOGOUT, Outcome.SUCCESS),
            ("LOGOUT_ERROR", None, AuditAction.AUTH_KEYCLOAK_LOGOUT, Outcome.FAILURE),
            ("CODE_TO_TOKEN", None, AuditAction.AUTH_TOKEN_EXCHANGE, Outcome.SUCCESS),
            ("CODE_TO_TOKEN_ERROR", None, AuditAction.AUTH_TOKEN_EXCHANGE, Outcome.FAILURE),
            ("REFRESH_TOKEN_ERROR", None, AuditAction.AUTH_TOKEN_REFRESH, Outcome.FAILURE),
            ("UPDATE_CREDENTIAL", "otp", AuditAction.AUTH_MFA_ENROLL, Outcome.SUCCESS),
            ("UPDATE_CREDENTIAL_ERROR", "otp", AuditAction.AUTH_MFA_ENROLL, Outcome.FAILURE),
            ("REMOVE_CREDENTIAL", "otp", AuditAction.AUTH_MFA_REMOVE, Outcome.SUCCESS),
            ("UPDATE_CREDENTIAL", "password", AuditAction.AUTH_PASSWORD_UPDATE, Outcome.SUCCESS),
            ("UPDATE_CREDENTIAL_ERROR", "password", AuditAction.AUTH_PASSWORD_UPDATE, Outcome.FAILURE),
            ("UPDATE_CREDENTIAL", "webauthn", AuditAction.AUTH_CREDENTIAL_UPDATE, Outcome.SUCCESS),
            ("REMOVE_CREDENTIAL", "webauthn", AuditAction.AUTH_CREDENTIAL_REMOVE, Outcome.SUCCESS),
            ("USER_DISABLED_BY_TEMPORARY_LOCKOUT", None, AuditAction.AUTH_USER_LOCK, Outcome.SUCCESS),
        ],
    )
    def test_each_type_is_its_action_and_errors_fail(
        self, kind: str, credential: str | None, action: AuditAction, outcome: Outcome
    ) -> None:
        details = {"credential_type": credential} if credential else {}
        error = "some_error" if kind.endswith("_ERROR") else None
        recorded = audit(type=kind, details=details, error=error)
        assert (recorded.action, recorded.outcome) == (action, outcome)
        assert recorded.details["keycloak_type"] == kind

    @pytest.mark.parametrize(
        "kind", ["UPDATE_TOTP", "UPDATE_TOTP_ERROR", "REMOVE_TOTP", "UPDATE_PASSWORD", "SEND_VERIFY_EMAIL"]
    )
    def test_superseded_and_unknown_types_are_not_recorded(self, kind: str) -> None:
        assert action_of(event(type=kind)) is None
        assert audit(type=kind) is None

    def test_every_type_a_realm_stores_is_recorded_or_superseded(self) -> None:
        pulled = pulled_types(EVENT_TYPES)
        assert {kind.removesuffix("_ERROR") for kind in EVENT_TYPES if kind not in pulled} <= SUPERSEDED
        assert "LOGIN" in pulled
        assert "LOGIN_ERROR" in pulled
        assert not set(pulled) & {"UPDATE_TOTP", "UPDATE_PASSWORD", "REMOVE_TOTP"}
        assert all(action_of(event(type=kind)) is not None for kind in pulled)


class TestWho:
    def test_a_member_is_its_enclave_user(self) -> None:
        recorded = audit()
        assert recorded.actor == recorded.target == f"user:{MEMBER}"

    def test_a_stranger_is_keycloaks(self) -> None:
        recorded = audit(members={})
        assert recorded.actor == recorded.target == f"keycloak:{KC_USER}"

    def test_a_federated_id_is_hashed_not_spelled(self) -> None:
        federated = "f:0d4e6b2c-1111-2222-3333-444444444444:ada.lovelace"
        ref = keycloak_user_ref(federated)
        assert ref.startswith("keycloak:sha256:")
        assert "ada" not in ref
        assert len(ref) <= 100
        assert ref == keycloak_user_ref(federated)

    def test_nobody_named_is_anonymous_against_the_realm(self) -> None:
        recorded = audit(userId=None, error="user_not_found")
        assert (recorded.actor, recorded.target) == ("anonymous", f"realm:{REALM}")

    def test_a_lockout_is_done_by_keycloak_to_the_user(self) -> None:
        recorded = audit(type="USER_DISABLED_BY_TEMPORARY_LOCKOUT", error=None)
        assert (recorded.actor, recorded.target) == ("system", f"user:{MEMBER}")


class TestContent:
    def test_ids_and_error_codes_only(self) -> None:
        recorded = audit()
        assert recorded.organization_id == ORG
        assert recorded.source == "10.1.2.3"
        assert recorded.details == {
            "realm": REALM,
            "keycloak_event": LOGIN_ERROR["id"],
            "keycloak_type": "LOGIN_ERROR",
            "client": "enclave-web",
            "error": "invalid_user_credentials",
            "auth_method": "openid-connect",
        }
        encoded = msgspec.json.encode(recorded)
        assert b"ada@example.org" not in encoded
        assert b"redirect_uri" not in encoded
        assert b"code_id" not in encoded

    def test_long_values_are_cut(self) -> None:
        recorded = audit(error="e" * 500, ipAddress="1" * 100)
        assert len(recorded.details["error"]) == 200
        assert len(recorded.source) == 64

    def test_the_time_keeps_its_milliseconds(self) -> None:
        assert audit().occurred_at == dt.datetime(2026, 11, 23, 11, 57, 57, 224_000, tzinfo=dt.UTC)

    def test_the_id_is_the_same_for_every_pull_and_differs_per_realm(self) -> None:
        assert audit().event_id == audit().event_id == event_id(REALM, LOGIN_ERROR["id"])
        assert event_id("other", LOGIN_ERROR["id"]) != event_id(REALM, LOGIN_ERROR["id"])
        # Fixed for ever: records signed years ago name it.
        assert str(event_id("acme", "x")) == str(
            uuid.uuid5(uuid.UUID("a42b5327-5b8d-4718-84b6-025a0bc3b735"), "keycloak/acme/x")
        )

    def test_an_event_without_an_id_does_not_parse(self) -> None:
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({k: v for k, v in LOGIN_ERROR.items() if k != "id"}, KeycloakEvent)


class TestKeycloakEventSource:
    def test_it_needs_a_client_secret(self, tmp_path: Path) -> None:
        ca = tmp_path / "ca.crt"
        write_ca("Unit test CA", ca)
        with pytest.raises(KeycloakEventsUnconfigured, match="ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE"):
            KeycloakEventSource(
                None,  # type: ignore[arg-type]  # never reached
                AuditSettings(keycloak_client_secret_file=None),
                KeycloakSettings(url="https://keycloak.example"),
                TLSSettings(ca_file=ca),
            )
