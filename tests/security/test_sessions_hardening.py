"""Sessions and accounts against the real api, Keycloak and Redis (OWASP ASVS 5.0 level 3 as the bar).

Each test drives a person's browser through the real sign-in (the api's code + PKCE flow on the
organization's own Keycloak realm) and attacks one guarantee: brute force is throttled by Keycloak
and by the api's own limits; a session id is never adopted from the browser (fixation); the cookie
has the right flags; changes without the CSRF token and cross-origin reads are refused; sessions
idle out within 15 minutes; an admin can end a member's sessions, and removal ends them; step-up
actions need a fresh sign-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from enclave.identity.auth_limits import CALLBACK_FAILURES, LOGIN_STARTS, PREFIX
from enclave.identity.keycloak_admin import RealmAdmin, admin_from_settings
from enclave.identity.realms import RealmService
from enclave.identity.session_auth import COOKIE
from enclave.settings import KeycloakSettings, TLSSettings
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.identity.signin import (
    ACCOUNT_CHECK_S,
    PASSWORD,
    age_the_sign_in,
    change_in_keycloak,
    csrf,
    enable_in_keycloak,
    person,
    session_name,
    sign_in,
    signed_in_with_key,
)
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_keys import SOURCES, redis_client
from tests.support.keycloak_login import LoginFailed, login_via_form

FOREIGN_ORIGIN = "https://attacker.example"
STEP_UP_ERROR = 'error="insufficient_user_authentication"'


@pytest.fixture(autouse=True)
def _counted() -> Iterator[None]:
    """Each case of this module that ran counts in the security evidence's summary."""
    yield
    evidence.add("session and account cases")


@pytest.fixture
def no_auth_limits(stack: Stack) -> Iterator[None]:
    """Clears the api's sign-in counters for this machine before and after: a test that trips them
    must not throttle the sign-ins of the tests after it."""

    def clear() -> None:
        with redis_client(stack) as client:
            names = [
                f"{PREFIX}{limit.name}:{source}"
                for limit in (LOGIN_STARTS, CALLBACK_FAILURES)
                for source in SOURCES
            ]
            client.delete(*names)

    clear()
    yield
    clear()


def me_with(api_url: str, stack: Stack, cookie: str) -> int:
    """What ``GET /api/v1/me`` answers a fresh browser holding only the session cookie ``cookie``."""
    with httpx.Client(base_url=api_url, verify=stack.tls) as other:
        other.cookies.set(COOKIE, cookie)
        return other.get("/api/v1/me").status_code


class TestBruteForce:
    def test_every_realm_has_keycloaks_brute_force_detection_and_it_locks_out(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        who = person(org, realms)
        realm = RealmAdmin(admin_from_settings(KeycloakSettings(), TLSSettings()), org.slug)
        settings = realm.get()
        assert settings["bruteForceProtected"] is True
        assert settings["failureFactor"] <= 5
        assert (
            settings["permanentLockout"] is False
        )  # temporary: an attacker cannot lock someone out for good
        for _ in range(settings["failureFactor"]):
            start = browser.get("/auth/login", params={"org": org.slug})
            with pytest.raises(LoginFailed):
                login_via_form(keycloak_browser, start.headers["location"], who.email, "wrong password 123")
        # Now even the right password is refused, and Keycloak says the account is locked.
        start = browser.get("/auth/login", params={"org": org.slug})
        with pytest.raises(LoginFailed):
            login_via_form(keycloak_browser, start.headers["location"], who.email, PASSWORD)
        user_id = realm.get("/users", email=who.email, exact="true")[0]["id"]
        assert realm.get(f"/attack-detection/brute-force/users/{user_id}")["disabled"] is True
        assert browser.cookies.get(COOKIE) is None

    def test_the_api_limits_sign_ins_started_from_one_address(
        self, org: Tenant, browser: httpx.Client, no_auth_limits: None
    ) -> None:
        answers = [
            browser.get("/auth/login", params={"org": org.slug}).status_code
            for _ in range(LOGIN_STARTS.most + 1)
        ]
        assert answers[: LOGIN_STARTS.most] == [303] * LOGIN_STARTS.most
        assert answers[-1] == 429
        refused = browser.get("/auth/login", params={"org": org.slug})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "Retry-After" in refused.headers

    def test_the_api_limits_failed_sign_ins_from_one_address(
        self, browser: httpx.Client, no_auth_limits: None
    ) -> None:
        answers = [
            browser.get("/auth/callback", params={"state": f"forged-{n}", "code": "forged"}).status_code
            for n in range(CALLBACK_FAILURES.most + 1)
        ]
        assert set(answers[: CALLBACK_FAILURES.most]) == {400}
        assert answers[-1] == 429


class TestSessionCookie:
    def test_a_session_id_from_before_sign_in_is_never_adopted(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        planted = "planted-" + uuid.uuid4().hex  # what an attacker would hand the victim's browser
        browser.cookies.set(COOKIE, planted)
        who = person(org, realms)
        done = sign_in(browser, keycloak_browser, org, who)
        issued = done.cookies[COOKIE]
        assert issued != planted
        assert len(issued) >= 43  # 32 random bytes
        with redis_client(stack) as client:
            assert client.exists(session_name(planted)) == 0
            assert client.exists(session_name(issued)) == 1
        assert me_with(str(browser.base_url), stack, planted) == 401
        assert browser.get("/api/v1/me").status_code == 200

    def test_signing_in_again_ends_the_session_the_browser_had(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        api_url: str,
        stack: Stack,
    ) -> None:
        who = person(org, realms)
        first = sign_in(browser, keycloak_browser, org, who).cookies[COOKIE]
        second = sign_in(browser, keycloak_browser, org, who).cookies[COOKIE]
        assert first != second
        assert me_with(api_url, stack, first) == 401
        assert me_with(api_url, stack, second) == 200

    def test_cookie_flags_and_timeouts(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        done = sign_in(browser, keycloak_browser, org, person(org, realms))
        header = done.headers["set-cookie"]
        name, _, rest = header.partition("=")
        assert name == COOKIE
        assert name.startswith("__Host-")
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in rest.split(";")[1:]}
        assert {"httponly", "secure", "samesite", "path", "max-age"} <= flags.keys()
        assert flags["samesite"].lower() == "samesite=lax"
        assert flags["path"] == "Path=/"
        assert "domain" not in flags  # host-only, as __Host- demands
        assert int(flags["max-age"].split("=")[1]) <= 12 * 60 * 60
        with redis_client(stack) as client:
            ttl = client.ttl(session_name(done.cookies[COOKIE]))
        assert 0 < ttl <= 15 * 60  # the idle timeout, renewed on use

    def test_changes_without_the_csrf_token_are_refused(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        sign_in(browser, keycloak_browser, org, person(org, realms))
        key = {"name": "laptop", "scopes": ["tasks:read"]}
        assert browser.post("/api/v1/api-keys", json=key).status_code == 403
        assert (
            browser.post("/api/v1/api-keys", json=key, headers={"X-CSRF-Token": "guessed"}).status_code == 403
        )
        # A cross-site form post (no header, a foreign Origin) changes nothing either.
        forged = browser.post("/auth/logout", headers={"Origin": FOREIGN_ORIGIN})
        assert forged.status_code == 403
        assert browser.get("/api/v1/me").status_code == 200
        assert browser.post("/api/v1/api-keys", json=key, headers=csrf(browser)).status_code == 201

    def test_cors_is_closed_to_other_origins(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        sign_in(browser, keycloak_browser, org, person(org, realms))
        preflight = browser.options(
            "/api/v1/api-keys",
            headers={
                "Origin": FOREIGN_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-csrf-token, content-type",
            },
        )
        read = browser.get("/auth/session", headers={"Origin": FOREIGN_ORIGIN})
        for answer in (preflight, read):
            assert "access-control-allow-origin" not in answer.headers
            assert "access-control-allow-credentials" not in answer.headers


class TestEndingSessions:
    def test_an_admin_ends_a_members_sessions(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        audit_service: object,
    ) -> None:
        who = person(org, realms)
        sign_in(browser, keycloak_browser, org, who)
        assert browser.get("/api/v1/me").status_code == 200
        ended = org.ok("DELETE", f"/members/{who.user_id}/sessions")
        assert ended == {"ended": 1}
        assert browser.get("/api/v1/me").status_code == 401
        assert org.ok("DELETE", f"/members/{who.user_id}/sessions") == {"ended": 0}
        # Audited, naming the member whose sessions ended.
        deadline = time.monotonic() + 30
        while True:
            rows = sql_as_tenant(
                org.org_id,
                "SELECT action FROM audit_log WHERE target = :target AND action = 'auth:session:revoke'",
                target=f"user:{who.user_id}",
            )
            if len(rows) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(rows) == 2

    def test_an_enabled_account_keeps_its_session_across_keycloak_checks(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        sign_in(browser, keycloak_browser, org, person(org, realms))
        for _ in range(2):
            time.sleep(ACCOUNT_CHECK_S + 0.5)
            assert browser.get("/api/v1/me").status_code == 200

    @pytest.mark.parametrize("change", ["disabled", "deleted"])
    def test_an_account_disabled_or_deleted_in_keycloak_loses_its_session(
        self,
        change: str,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        who = person(org, realms)
        sign_in(browser, keycloak_browser, org, who)
        assert browser.get("/api/v1/me").status_code == 200
        change_in_keycloak(org, who, change)
        # The session asks Keycloak at most every ACCOUNT_CHECK_S; its next request after that fails.
        time.sleep(ACCOUNT_CHECK_S + 0.5)
        assert browser.get("/api/v1/me").status_code == 401
        with redis_client(stack) as client:
            assert client.exists(session_name(browser.cookies[COOKIE])) == 0

    @pytest.mark.parametrize("change", ["disabled", "deleted"])
    def test_an_account_disabled_or_deleted_in_keycloak_loses_its_api_keys(
        self,
        change: str,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        api_url: str,
        stack: Stack,
    ) -> None:
        who, bearer = signed_in_with_key(browser, keycloak_browser, org, realms)
        with httpx.Client(base_url=api_url, verify=stack.tls) as other:
            assert other.get("/api/v1/me", headers=bearer).status_code == 200
            change_in_keycloak(org, who, change)
            # Keycloak is asked about a key's owner at most every ACCOUNT_CHECK_S, as for sessions.
            time.sleep(ACCOUNT_CHECK_S + 0.5)
            refused = other.get("/api/v1/me", headers=bearer)
            assert refused.status_code == 401, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "identity provider" in refused.json()["detail"]
            # Enclave's own record of the member is unchanged: enabled again in Keycloak, the key works.
            if change == "disabled":
                enable_in_keycloak(org, who)
                assert other.get("/api/v1/me", headers=bearer).status_code == 200

    def test_a_member_cannot_end_an_admins_sessions(self, org: Tenant, realms: RealmService) -> None:
        member = person(org, realms)
        admin = org.member("admin")
        answer = org.call("DELETE", f"/members/{admin}/sessions", member.user_id)
        assert answer.status_code == 403

    def test_removing_a_member_ends_their_sessions_and_keys(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        api_url: str,
        stack: Stack,
    ) -> None:
        who, bearer = signed_in_with_key(browser, keycloak_browser, org, realms)
        with redis_client(stack) as client:
            assert client.exists(session_name(browser.cookies[COOKIE])) == 1
            org.ok("DELETE", f"/members/{who.user_id}")
            assert client.exists(session_name(browser.cookies[COOKIE])) == 0
        assert browser.get("/api/v1/me").status_code == 401
        with httpx.Client(base_url=api_url, verify=stack.tls) as other:
            assert other.get("/api/v1/me", headers=bearer).status_code == 401


class TestStepUp:
    def test_sensitive_actions_need_a_fresh_sign_in(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        who = person(org, realms, role="admin")
        sign_in(browser, keycloak_browser, org, who)
        key = {"name": "laptop", "scopes": ["tasks:read"]}
        assert browser.post("/api/v1/api-keys", json=key, headers=csrf(browser)).status_code == 201
        signed_in_at = browser.get("/auth/session").json()["signed_in_at"]
        assert abs(time.time() - signed_in_at) < 120

        age_the_sign_in(stack, browser.cookies[COOKIE], 5 * 60 + 1)
        refused = browser.post("/api/v1/api-keys", json=key, headers=csrf(browser))
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "urn:enclave:problem:reauthentication-required"
        assert STEP_UP_ERROR in refused.headers["www-authenticate"]
        assert "max_age=300" in refused.headers["www-authenticate"]
        rotate = browser.post("/api/v1/organization/key/rotations", headers=csrf(browser))
        assert rotate.status_code == 401
        assert STEP_UP_ERROR in rotate.headers["www-authenticate"]
        # Other actions of the same session go on.
        assert browser.get("/api/v1/me").status_code == 200

        # Keycloak asks for the password again, though its own session is alive.
        again = browser.get("/auth/login", params={"org": org.slug, "next": "/", "reauthenticate": "true"})
        assert "prompt=login" in again.headers["location"]
        assert "max_age=0" in again.headers["location"]
        page = keycloak_browser.get(again.headers["location"])
        assert 'id="kc-form-login"' in page.text
        result = login_via_form(keycloak_browser, again.headers["location"], who.email, PASSWORD)
        done = browser.get(result.location)
        assert done.status_code == 303, done.text
        assert browser.post("/api/v1/api-keys", json=key, headers=csrf(browser)).status_code == 201

    def test_an_api_key_is_not_asked_to_sign_in_again(self, org: Tenant, api_url: str, stack: Stack) -> None:
        created = org.ok("POST", "/api-keys", json={"name": "ci", "scopes": ["admin"]})
        with httpx.Client(base_url=api_url, verify=stack.tls) as client:
            headers = {"Authorization": f"Bearer {created['secret']}"}
            projects = client.get("/api/v1/projects", headers=headers)
            assert projects.status_code == 200, projects.text


class TestSettings:
    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("ENCLAVE_SESSION_IDLE_TIMEOUT_S", "901"),
            ("ENCLAVE_SESSION_ABSOLUTE_TIMEOUT_S", "43201"),
            ("ENCLAVE_SESSION_REAUTHENTICATION_MAX_AGE_S", "301"),
        ],
    )
    def test_a_session_longer_than_the_default_is_refused_at_startup(
        self, stack: Stack, variable: str, value: str, tmp_path: Path
    ) -> None:
        env = os.environ | stack.env | {"ENCLAVE_API_PORT": "1", variable: value}
        started = subprocess.run(
            [sys.executable, "-m", "enclave.api"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert started.returncode != 0
        field = variable.removeprefix("ENCLAVE_SESSION_").lower()
        assert field in (started.stdout + started.stderr)
