"""A person's first visit, in a real browser: the app asks for their organization, Keycloak signs
them in and makes them enrol a second factor (the organization requires one), and the app shows their
work — under the strict CSP, with no violation reported, every control found by role and name."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import person


def require_mfa(org: Tenant) -> None:
    current = org.call("GET", "/organization")
    body = {"settings": {"mfa_required": True, "retention_days": 30}}
    changed = org.call("PATCH", "/organization", json=body, headers={"If-Match": current.headers["etag"]})
    assert changed.status_code == 200, changed.text


def test_sign_in_with_mfa_and_see_my_tasks(
    page: Page, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    require_mfa(org)
    who = person(org, realms)

    page.goto(f"{webapp_built}/app/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in")
    sign_in(page, webapp_built, org.slug, who, enrol_totp=True)

    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.get_by_text("You have no unfinished tasks")).to_be_visible()
    assert page.url.startswith(f"{webapp_built}/app")
    screenshot(page, "my-tasks")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
