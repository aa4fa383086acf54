"""Keycloak's own events in the trail, on the real stack: a realm's failed and successful logins,
logouts and MFA enrolments reach its organization's chain (and no other) exactly once, pulled as the
audit service's own database role and Keycloak client, which may read the events of the realms it was
granted and nothing else; Keycloak out of reach records nothing and raises nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from keycloak import KeycloakAdmin
from sqlalchemy import exc as sa_exc

from enclave.audit_service.keycloak_events import (
    KeycloakEventReader,
    KeycloakEventSource,
    KeycloakEventsUnavailable,
    KeycloakEventsUnconfigured,
    event_id,
    pulled_types,
)
from enclave.db.engine import create_engine
from enclave.db.session import session_factory
from enclave.identity.keycloak_admin import KeycloakRequestFailed, admin_from_settings
from enclave.identity.realm_settings import EVENT_TYPES, realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import AuditSettings, DatabaseSettings, KeycloakSettings, TLSSettings, read_secret
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.identity.signin import Person, person, sign_in
from tests.integration.stack import Stack
from tests.support.keycloak_login import LoginFailed, login_via_form

KEYCLOAK_ACTIONS = (
    "auth:credential:remove",
    "auth:credential:update",
    "auth:keycloak:login",
    "auth:keycloak:logout",
    "auth:mfa:enroll",
    "auth:mfa:remove",
    "auth:password:update",
    "auth:token:exchange",
    "auth:token:refresh",
    "auth:user:lock",
)


# -- helpers --------------------------------------------------------------------------------------


def pull(**keycloak: Any) -> int:
    """One pull of every readable realm, as the audit service does it: its database role, its client."""

    async def once() -> int:
        engine = create_engine(
            DatabaseSettings(), TLSSettings(), as_audit=True, application_name="enclave-tests"
        )
        try:
            source = KeycloakEventSource(
                session_factory(engine),
                AuditSettings(),
                KeycloakSettings(**keycloak),
                TLSSettings(),
            )
            return await source.pull_once()
        finally:
            await engine.dispose()

    return asyncio.run(once())


def keycloak_trail(tenant: Tenant) -> list[dict[str, Any]]:
    """The organization's records of Keycloak events (read as the api's role, under RLS), oldest first."""
    rows = sql_as_tenant(
        tenant.org_id,
        "SELECT content FROM audit_log WHERE action = ANY(:actions) ORDER BY occurred_at, seq",
        actions=list(KEYCLOAK_ACTIONS),
    )
    return [json.loads(bytes(row[0]))["event"] for row in rows]


def settled(tenant: Tenant, done: Any, timeout: float = 30) -> list[dict[str, Any]]:
    """The organization's Keycloak records once ``done(records)`` holds (the audit service drains the
    outbox on its own), or as they are at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        records = keycloak_trail(tenant)
        if done(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def of(records: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [record for record in records if record["action"] == action]


def fail_login(browser: httpx.Client, keycloak: httpx.Client, tenant: Tenant, email: str) -> None:
    start = browser.get("/auth/login", params={"org": tenant.slug})
    assert start.status_code == 303, start.text
    with pytest.raises(LoginFailed):
        login_via_form(keycloak, start.headers["location"], email, "not the password at all 1")


def sign_in_and_out(browser: httpx.Client, keycloak: httpx.Client, tenant: Tenant, who: Person) -> None:
    sign_in(browser, keycloak, tenant, who)
    csrf = browser.get("/auth/session").json()["csrf_token"]
    assert browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    browser.cookies.clear()


def subject_of(tenant: Tenant, who: Person) -> str:
    """The Keycloak user id the member's account is linked to (at its first sign-in)."""
    rows = sql_as_tenant(tenant.org_id, "SELECT subject FROM users WHERE id = :id", id=who.user_id)
    return str(rows[0][0])


def audit_reader(stack: Stack) -> KeycloakEventReader:
    settings = AuditSettings()
    assert settings.keycloak_client_secret_file is not None, "scripts/stack up makes the audit client"
    return KeycloakEventReader(
        KeycloakSettings().url,
        TLSSettings().ca_file,
        settings.keycloak_client_id,
        read_secret(settings.keycloak_client_secret_file),
    )


def audit_reader_with_secret(secret: str) -> KeycloakEventReader:
    return KeycloakEventReader(
        KeycloakSettings().url, TLSSettings().ca_file, AuditSettings().keycloak_client_id, secret
    )


def revoke_event_reader(admin: KeycloakAdmin, realm: str) -> None:
    """Takes the audit client's view-events of ``realm`` back (as the master realm's admin)."""
    base = "admin/realms/master"
    reader = admin.connection.raw_get(f"{base}/clients", clientId=AuditSettings().keycloak_client_id).json()
    account = admin.connection.raw_get(f"{base}/clients/{reader[0]['id']}/service-account-user").json()
    managing = admin.connection.raw_get(f"{base}/clients", clientId=f"{realm}-realm").json()
    role = admin.connection.raw_get(f"{base}/clients/{managing[0]['id']}/roles/view-events").json()
    response = admin.connection.raw_delete(
        f"{base}/users/{account['id']}/role-mappings/clients/{managing[0]['id']}", data=json.dumps([role])
    )
    assert response.status_code == 204, response.text


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(stack: Stack) -> KeycloakAdmin:
    return admin_from_settings(KeycloakSettings(), TLSSettings())


@pytest.fixture(scope="module")
def realms(admin: KeycloakAdmin) -> RealmService:
    return RealmService(admin)


def _tenant_with_realm(api: httpx.Client, api_url: str, realms: RealmService) -> Iterator[Tenant]:
    tenant = Tenant.create(api)
    realms.ensure_realm(realm_spec_for(tenant.slug, f"Org {tenant.slug}", api_url))
    try:
        yield tenant
    finally:
        realms.delete_realm(tenant.slug)


@pytest.fixture
def org(api: httpx.Client, api_url: str, realms: RealmService, audit_service: object) -> Iterator[Tenant]:
    yield from _tenant_with_realm(api, api_url, realms)


@pytest.fixture
def other_org(api: httpx.Client, api_url: str, realms: RealmService) -> Iterator[Tenant]:
    yield from _tenant_with_realm(api, api_url, realms)


@pytest.fixture
def member(org: Tenant, realms: RealmService) -> Person:
    return person(org, realms)


# -- tests ----------------------------------------------------------------------------------------


class TestLoginEvents:
    def test_failed_and_successful_logins_and_the_logout_are_in_the_chain(
        self, org: Tenant, member: Person, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        # A first sign-in links the Keycloak account to its member; what follows is the member's.
        sign_in_and_out(browser, keycloak_browser, org, member)
        fail_login(browser, keycloak_browser, org, member.email)
        sign_in_and_out(browser, keycloak_browser, org, member)

        pull()
        records = settled(org, lambda found: len(of(found, "auth:keycloak:logout")) >= 2)
        me = f"user:{member.user_id}"  # the Keycloak account, mapped to its Enclave member
        account = {me, f"keycloak:{subject_of(org, member)}"}  # the first events may precede the link
        first, failed, succeeded = of(records, "auth:keycloak:login")
        assert (first["outcome"], first["actor"] in account) == ("success", True)
        assert (failed["outcome"], failed["actor"], failed["target"]) == ("failure", me, me)
        assert failed["details"]["error"] == "invalid_user_credentials"
        assert failed["details"]["keycloak_type"] == "LOGIN_ERROR"
        assert (succeeded["outcome"], succeeded["actor"], succeeded["target"]) == ("success", me, me)
        assert succeeded["details"]["client"] == "enclave-web"
        assert succeeded["details"]["realm"] == org.slug
        assert first["occurred_at"] < failed["occurred_at"] < succeeded["occurred_at"]
        assert {record["organization_id"] for record in records} == {str(org.org_id)}
        assert [r["outcome"] for r in of(records, "auth:token:exchange")] == ["success", "success"]
        assert [r["actor"] for r in of(records, "auth:keycloak:logout")] == [me, me]
        assert {record["source"] for record in records} == {"127.0.0.1"}
        # Ids, never names: the username Keycloak stores with each event (an e-mail address) stays out.
        assert member.email not in json.dumps(records)

    def test_the_running_audit_service_pulls_on_its_own(
        self, org: Tenant, member: Person, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        """No explicit pull: ``enclave-audit run`` (the ``audit_service`` fixture) brings the failed
        sign-in into the chain by itself."""
        fail_login(browser, keycloak_browser, org, member.email)
        records = settled(org, lambda found: bool(of(found, "auth:keycloak:login")), timeout=60)
        assert [r["outcome"] for r in of(records, "auth:keycloak:login")] == ["failure"]

    def test_an_unknown_user_is_anonymous_and_a_stranger_is_keycloaks(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
    ) -> None:
        fail_login(browser, keycloak_browser, org, "nobody-here@example.org")
        stranger = realms.create_user(
            org.slug, email="stranger@example.org", first_name="S", last_name="T", password=None
        )
        fail_login(browser, keycloak_browser, org, "stranger@example.org")
        pull()
        records = of(settled(org, lambda found: len(found) >= 2), "auth:keycloak:login")
        assert [(r["actor"], r["target"], r["details"]["error"]) for r in records] == [
            ("anonymous", f"realm:{org.slug}", "user_not_found"),
            (f"keycloak:{stranger}", f"keycloak:{stranger}", "invalid_user_credentials"),
        ]

    def test_mfa_enrolment_is_recorded_once(
        self,
        org: Tenant,
        member: Person,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
    ) -> None:
        sign_in_and_out(browser, keycloak_browser, org, member)  # links the account to the member
        realms.set_mfa_required(org.slug, True)
        sign_in(browser, keycloak_browser, org, member, enrol_totp=True)
        pull()
        records = settled(org, lambda found: len(of(found, "auth:keycloak:login")) >= 2)
        # Keycloak sends UPDATE_TOTP and UPDATE_CREDENTIAL for one enrolment: one record.
        enrolled = of(records, "auth:mfa:enroll")
        assert len(enrolled) == 1
        assert enrolled[0]["actor"] == f"user:{member.user_id}"
        assert enrolled[0]["outcome"] == "success"
        assert enrolled[0]["details"]["credential_type"] == "otp"
        assert enrolled[0]["details"]["keycloak_type"] == "UPDATE_CREDENTIAL"


class TestExactlyOnce:
    def test_pulling_again_records_nothing_new(
        self, org: Tenant, member: Person, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        fail_login(browser, keycloak_browser, org, member.email)
        fail_login(browser, keycloak_browser, org, member.email)
        pull()
        # Again at once (the events may still be in the outbox), and after the drain (in the log).
        pull()
        first = settled(org, lambda found: len(found) >= 2)
        assert pull() == 0
        # Even from the very beginning of the realm's events: each event keeps its id.
        sql = "UPDATE audit_sources SET cursor_ms = 0 WHERE organization_id = :org"
        asyncio.run(_as_audit_role(sql, org=org.org_id))
        assert pull() == 0
        time.sleep(1)
        records = keycloak_trail(org)
        assert records == first
        ids = [record["details"]["keycloak_event"] for record in records]
        assert len(ids) == len(set(ids))
        failures = of(records, "auth:keycloak:login")
        assert [r["outcome"] for r in failures] == ["failure", "failure"]
        # Two failures within a second lock the account for a while (Keycloak's quick-login check):
        # Keycloak did that, to the account that failed (not yet linked to its member: never signed in).
        assert failures[0]["actor"].startswith("keycloak:")
        for locked in of(records, "auth:user:lock"):
            assert (locked["actor"], locked["target"]) == ("system", failures[0]["actor"])
        assert [record["event_id"] for record in records] == [str(event_id(org.slug, i)) for i in ids]

    def test_another_organizations_events_stay_in_its_own_chain(
        self,
        org: Tenant,
        other_org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
    ) -> None:
        theirs = person(other_org, realms)
        fail_login(browser, keycloak_browser, other_org, theirs.email)
        pull()
        records = settled(other_org, lambda found: len(found) >= 1)
        assert [(r["action"], r["outcome"]) for r in records] == [("auth:keycloak:login", "failure")]
        assert {r["organization_id"] for r in records} == {str(other_org.org_id)}
        assert {r["details"]["realm"] for r in records} == {other_org.slug}
        time.sleep(1)
        assert keycloak_trail(org) == []


class TestLeastPrivilege:
    def test_the_audit_client_reads_only_the_events_of_realms_it_was_granted(
        self,
        org: Tenant,
        other_org: Tenant,
        admin: KeycloakAdmin,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        reader = audit_reader(stack)
        types = pulled_types(EVENT_TYPES)
        assert {org.slug, other_org.slug} <= reader.readable_realms()
        assert reader.events(org.slug, types, 0, 0, 10) == []

        revoke_event_reader(admin, other_org.slug)
        theirs = person(other_org, realms)
        fail_login(browser, keycloak_browser, other_org, theirs.email)
        assert other_org.slug not in reader.readable_realms()
        with pytest.raises(KeycloakEventsUnavailable) as refused:
            reader.events(other_org.slug, types, 0, 0, 10)
        assert refused.value.status == 403
        pull()
        time.sleep(1)
        assert keycloak_trail(other_org) == []

        # Granted realms' events, and nothing else of them: not even their users.
        token = httpx.post(
            f"{KeycloakSettings().url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": AuditSettings().keycloak_client_id,
                "client_secret": read_secret(AuditSettings().keycloak_client_secret_file),  # type: ignore[arg-type]
            },
            verify=stack.tls,
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        for path in (
            f"/admin/realms/{org.slug}/users",
            f"/admin/realms/{org.slug}/clients",
            f"/admin/realms/{org.slug}/roles",
            "/admin/realms/master/events",
            "/admin/realms/master/clients",
        ):
            answer = httpx.get(f"{KeycloakSettings().url}{path}", headers=bearer, verify=stack.tls)
            assert answer.status_code == 403, (path, answer.status_code)
        # Of the realm itself, only the brief view any of its admins gets: none of its settings.
        realm = httpx.get(
            f"{KeycloakSettings().url}/admin/realms/{org.slug}", headers=bearer, verify=stack.tls
        )
        assert realm.status_code == 200
        assert "passwordPolicy" not in realm.json()
        assert "eventsListeners" not in realm.json()
        events = httpx.get(
            f"{KeycloakSettings().url}/admin/realms/{org.slug}/events", headers=bearer, verify=stack.tls
        )
        assert events.status_code == 200

    def test_making_a_realm_grants_its_events_once_and_needs_the_audit_client(
        self, org: Tenant, admin: KeycloakAdmin, realms: RealmService, api_url: str, stack: Stack
    ) -> None:
        revoke_event_reader(admin, org.slug)
        assert org.slug not in audit_reader(stack).readable_realms()
        for _ in range(2):  # idempotent
            realms.ensure_realm(realm_spec_for(org.slug, f"Org {org.slug}", api_url))
        assert org.slug in audit_reader(stack).readable_realms()
        with pytest.raises(KeycloakRequestFailed, match="no client enclave-nobody"):
            RealmService(admin, event_reader="enclave-nobody").grant_event_reader(org.slug)


class TestDatabaseRights:
    @pytest.mark.parametrize(
        "statement",
        [
            "SELECT email FROM users",
            "SELECT display_name FROM users",
            "SELECT name FROM organizations",
            "SELECT settings FROM organizations",
            "SELECT * FROM org_memberships",
            "UPDATE users SET subject = NULL",
            "DELETE FROM audit_sources",
        ],
    )
    def test_the_audit_role_maps_ids_and_reads_nothing_else(self, migrated: Stack, statement: str) -> None:
        with pytest.raises(sa_exc.ProgrammingError, match="permission denied"):
            asyncio.run(_as_audit_role(statement))

    def test_the_api_role_cannot_touch_the_cursors(self, org: Tenant) -> None:
        with pytest.raises(sa_exc.ProgrammingError, match="permission denied"):
            sql_as_tenant(org.org_id, "SELECT * FROM audit_sources")


class TestKeycloakTrouble:
    def test_keycloak_out_of_reach_records_nothing_and_raises_nothing(
        self, org: Tenant, member: Person, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        fail_login(browser, keycloak_browser, org, member.email)
        # Nothing listens on port 9 of this machine: connection refused, every time.
        assert pull(url="https://localhost:9") == 0
        with pytest.raises(KeycloakEventsUnavailable, match="unreachable"):
            KeycloakEventReader(
                "https://localhost:9", TLSSettings().ca_file, "enclave-audit", "x"
            ).readable_realms()
        # Back in reach, the next round records what happened meanwhile, once.
        pull()
        records = settled(org, lambda found: len(found) >= 1)
        assert [(r["action"], r["outcome"]) for r in records] == [("auth:keycloak:login", "failure")]

    def test_a_wrong_client_secret_records_nothing(
        self,
        org: Tenant,
        member: Person,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        fail_login(browser, keycloak_browser, org, member.email)
        wrong = tmp_path / "secret"
        wrong.write_text("not-the-secret")
        monkeypatch.setenv("ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE", str(wrong))
        assert pull() == 0
        with pytest.raises(KeycloakEventsUnavailable) as refused:
            audit_reader_with_secret("not-the-secret").readable_realms()
        assert refused.value.status == 401

    def test_without_a_client_secret_it_does_not_start(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE")
        with pytest.raises(KeycloakEventsUnconfigured, match="ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE"):
            pull()


async def _as_audit_role(statement: str, **params: Any) -> None:
    engine = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="enclave-tests")
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(statement), params)
    finally:
        await engine.dispose()
