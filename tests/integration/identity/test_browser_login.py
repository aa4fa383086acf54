"""The web app's sign-in against the real Keycloak: code + PKCE done by the api, a session cookie,
CSRF on changes, logout that ends Keycloak's session too, and MFA enforced by the api itself."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from keycloak import KeycloakAdmin

from enclave.identity.realms import RealmService
from enclave.identity.session_auth import COOKIE
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.identity.signin import PASSWORD, Person, person, sign_in
from tests.integration.stack import Stack
from tests.support.keycloak_login import TOTP_ENROL_FORM, LoginFailed, login_via_form


class TestBrowserLogin:
    def test_sign_in_use_the_api_sign_out(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        audit_service: object,
    ) -> None:
        who = person(org, realms)
        done = sign_in(browser, keycloak_browser, org, who)
        assert done.headers["location"] == "/projects"
        set_cookie = done.headers["set-cookie"]
        assert f"{COOKIE}=" in set_cookie
        assert all(flag in set_cookie.lower() for flag in ("httponly", "secure", "samesite=lax", "path=/"))
        old_cookie = browser.cookies[COOKIE]

        me = browser.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["user_id"] == str(who.user_id)

        csrf = browser.get("/auth/session").json()["csrf_token"]
        # A change without the CSRF token is refused, with it allowed.
        key = {"name": "laptop", "scopes": ["tasks:read"]}
        assert browser.post("/api/v1/api-keys", json=key).status_code == 403
        assert browser.post("/api/v1/api-keys", json=key, headers={"X-CSRF-Token": csrf}).status_code == 201
        assert browser.post("/auth/logout").status_code == 403

        assert browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        browser.cookies.clear()
        browser.cookies.set(COOKIE, old_cookie)
        replayed = browser.get("/api/v1/me")
        assert replayed.status_code == 401
        browser.cookies.clear()
        # Keycloak's session ended too: the next sign-in asks for the password again.
        again = browser.get("/auth/login", params={"org": org.slug})
        page = keycloak_browser.get(again.headers["location"])
        assert page.status_code == 200
        assert 'id="kc-form-login"' in page.text

        # The trail has the sign-in, the key it made and the sign-out, each once, in that order.
        wanted = ["auth:session:login", "org:api_key:issue", "auth:session:logout"]
        deadline = time.monotonic() + 30
        while True:
            rows = sql_as_tenant(
                # The api's own records of these three actions; Keycloak's events of the same
                # sign-in (pulled on their own schedule) are another test's subject.
                org.org_id,
                "SELECT action, actor FROM audit_log WHERE actor = :actor AND action = ANY(:wanted)"
                " ORDER BY seq",
                actor=f"user:{who.user_id}", wanted=wanted,
            )  # fmt: skip
            if len(rows) >= len(wanted) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert [str(r[0]) for r in rows] == wanted

    def test_no_account_no_entry(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        stranger = Person(f"stranger-{uuid.uuid4().hex[:8]}@example.org", uuid.uuid4())
        realms.create_user(
            org.slug,
            email=stranger.email,
            first_name="No",
            last_name="Member",
            password=PASSWORD,
            temporary_password=False,
        )
        start = browser.get("/auth/login", params={"org": org.slug})
        result = login_via_form(keycloak_browser, start.headers["location"], stranger.email, PASSWORD)
        refused = browser.get(result.location)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert COOKIE not in refused.headers.get("set-cookie", "")

    def test_a_callback_is_good_once(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        who = person(org, realms)
        start = browser.get("/auth/login", params={"org": org.slug})
        result = login_via_form(keycloak_browser, start.headers["location"], who.email, PASSWORD)
        assert browser.get(result.location).status_code == 303
        assert browser.get(result.location).status_code == 400  # the state was used up

    def test_unknown_organization_is_404(self, browser: httpx.Client) -> None:
        response = browser.get("/auth/login", params={"org": "no-such-org"})
        assert response.status_code == 404


class TestBackchannelLogout:
    def test_ending_the_keycloak_session_ends_the_api_session(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        who = person(org, realms)
        sign_in(browser, keycloak_browser, org, who)
        assert browser.get("/api/v1/me").status_code == 200
        admin = KeycloakAdmin(
            server_url=stack.env["ENCLAVE_KEYCLOAK_URL"],
            username=stack.env["ENCLAVE_KEYCLOAK_ADMIN_USER"],
            password=stack.secret("ENCLAVE_KEYCLOAK_ADMIN_PASSWORD_FILE"),
            realm_name=org.slug,
            user_realm_name="master",
            verify=stack.ca_file,
        )
        # An administrator ends the user's sessions in Keycloak; Keycloak tells the api at once.
        admin.user_logout(admin.get_user_id(who.email))
        assert browser.get("/api/v1/me").status_code == 401


class TestMfa:
    def test_mfa_required_means_enrol_then_second_factor(
        self,
        org: Tenant,
        realms: RealmService,
        browser: httpx.Client,
        keycloak_browser: httpx.Client,
        stack: Stack,
    ) -> None:
        who = person(org, realms)
        settings = org.call("GET", "/organization")
        body = {"settings": {"mfa_required": True, "retention_days": 30}}
        turned_on = org.call(
            "PATCH", "/organization", json=body, headers={"If-Match": settings.headers["etag"]}
        )
        assert turned_on.status_code == 200, turned_on.text

        # Without enrolling TOTP there is no way in.
        start = browser.get("/auth/login", params={"org": org.slug})
        with pytest.raises(LoginFailed) as stopped:
            login_via_form(keycloak_browser, start.headers["location"], who.email, PASSWORD)
        assert stopped.value.page == TOTP_ENROL_FORM

        with httpx.Client(verify=stack.tls, timeout=30) as fresh:
            done = sign_in(browser, fresh, org, who, enrol_totp=True)
        assert done.headers["location"] == "/projects"
        assert browser.get("/auth/session").json()["second_factor"] is True
        assert browser.get("/api/v1/me").status_code == 200

    def test_a_session_without_a_second_factor_is_refused_once_mfa_is_required(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        who = person(org, realms)
        sign_in(browser, keycloak_browser, org, who)
        assert browser.get("/api/v1/me").status_code == 200
        settings = org.call("GET", "/organization")
        body = {"settings": {"mfa_required": True, "retention_days": 30}}
        org.ok("PATCH", "/organization", json=body, headers={"If-Match": settings.headers["etag"]})
        refused = browser.get("/api/v1/me")
        assert refused.status_code == 401
        assert "second factor" in refused.json()["detail"]
