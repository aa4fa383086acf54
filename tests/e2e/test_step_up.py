"""Step-up in the browser: an admin whose sign-in is older than five minutes creates an API key; the
app asks them to confirm it is them, they sign in again in the small window it opens (Keycloak asks for
the password again), and the key is created without re-entering anything — under the strict CSP."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from enclave.identity.realms import RealmService
from enclave.identity.session_auth import COOKIE
from tests.e2e.conftest import screenshot
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import PASSWORD, age_the_sign_in, person
from tests.integration.stack import Stack

#: Older than ``SessionSettings.reauthentication_max_age_s``'s default (300 s).
STALE_S = 10 * 60


def _session_cookie(page: Page) -> str:
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return cookie["value"]


def test_an_old_sign_in_is_confirmed_in_a_window_and_the_action_goes_on(
    page: Page,
    org: Tenant,
    realms: RealmService,
    webapp_built: str,
    stack: Stack,
    csp_violations: None,
) -> None:
    admin = person(org, realms, "admin")
    sign_in(page, webapp_built, org.slug, admin)
    page.get_by_role("link", name="API keys").click()
    create = page.get_by_role("form", name="Create a key")
    create.get_by_label("Name").fill("training pipeline")
    age_the_sign_in(stack, _session_cookie(page), STALE_S)

    create.get_by_role("button", name="Create key").click()
    confirm = page.get_by_role("dialog", name="Confirm it is you")
    expect(confirm).to_be_visible()
    screenshot(page, "step-up")
    with page.expect_popup() as opened:
        confirm.get_by_role("button", name="Sign in again").click()
    window = opened.value
    expect(confirm.get_by_role("status")).to_have_text(re.compile("Waiting for you to sign in"))
    # Keycloak asks again (prompt=login, max_age=0) for the password, though it still holds a session
    # for this person: it names them and asks only for the password.
    password = window.get_by_label("Password", exact=True)
    expect(password).to_be_editable()
    expect(window.get_by_label(re.compile("Username or email", re.I))).to_have_count(0)
    password.fill(PASSWORD)
    window.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    window.wait_for_event("close", timeout=30_000)

    expect(confirm).to_be_hidden()
    shown = page.get_by_role("textbox", name="API key", exact=True)
    expect(shown).to_be_visible()
    assert shown.input_value().startswith("enc_")
    names = [key["name"] for key in org.call("GET", "/api-keys", admin.user_id).json()["items"]]
    assert names == ["training pipeline"]
