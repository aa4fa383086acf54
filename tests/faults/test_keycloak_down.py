"""Keycloak down: a signed-in person and an API key get a clear 503 and write nothing; neither is
signed out by the outage, and both work again once Keycloak is back.

Sessions and keys are confirmed with Keycloak at most every ``account_check_interval_s`` (an account
disabled there must lose both). When it cannot be asked, the api must neither let the request through
unconfirmed (fail open) nor end the session (an outage is not a sign-out).
"""

from __future__ import annotations

import time

import httpx

from enclave.identity.realms import RealmService
from enclave.identity.session_auth import COOKIE
from tests.faults.components import StackService, stack_healthy
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.identity.signin import ACCOUNT_CHECK_S, csrf, session_name, signed_in_with_key
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_keys import redis_client
from tests.support.realm_fixtures import org, realms

__all__ = ["org", "realms"]


def _unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert int(answer.headers["Retry-After"]) > 0


def test_keycloak_down_sessions_and_keys_get_503_write_nothing_and_survive(
    org: Tenant,
    realms: RealmService,
    browser: httpx.Client,
    keycloak_browser: httpx.Client,
    api_url: str,
    stack: Stack,
) -> None:
    _, bearer = signed_in_with_key(browser, keycloak_browser, org, realms)
    keys_before = sql_as_tenant(org.org_id, "SELECT count(*) FROM api_keys")
    headers = csrf(browser)
    keycloak = StackService("keycloak", stack)
    with httpx.Client(base_url=api_url, verify=stack.tls) as other:
        assert other.get("/api/v1/me", headers=bearer).status_code == 200
        keycloak.kill()
        evidence.add("faults injected")
        try:
            # Past the interval, both credentials must be confirmed again, and cannot be.
            time.sleep(ACCOUNT_CHECK_S + 0.5)
            _unavailable(browser.get("/api/v1/me"))
            another = {"name": "x", "scopes": ["tasks:read"]}
            _unavailable(browser.post("/api/v1/api-keys", json=another, headers=headers))
            _unavailable(other.get("/api/v1/me", headers=bearer))
            with redis_client(stack) as client:
                assert client.exists(session_name(browser.cookies[COOKIE])) == 1, "the outage signed out"
        finally:
            keycloak.restart()
        assert stack_healthy()
        assert sql_as_tenant(org.org_id, "SELECT count(*) FROM api_keys") == keys_before
        again = browser.get("/api/v1/me")
        assert again.status_code == 200, again.text
        again = other.get("/api/v1/me", headers=bearer)
        assert again.status_code == 200, again.text
