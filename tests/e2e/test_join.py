"""An invitation followed in the browser: the admin invites someone from the Members page; the new
person opens the link, chooses their name and password, signs in through Keycloak with them, and sees
their (empty) work — under the strict CSP."""

from __future__ import annotations

import re
import secrets
import uuid

from playwright.sync_api import Browser, Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import person


def test_an_invitation_opened_joined_and_used_to_sign_in(
    page: Page, chromium: Browser, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    admin = person(org, realms, "admin")
    invited = f"joiner-{uuid.uuid4().hex[:6]}@example.org"
    sign_in(page, webapp_built, org.slug, admin)
    page.get_by_role("link", name="Members").click()
    invite = page.get_by_role("form", name="Invite a member")
    invite.get_by_label("E-mail").fill(invited)
    invite.get_by_label("Role", exact=True).select_option("member")
    invite.get_by_role("button", name="Invite").click()
    link = page.get_by_role("region", name=f"Invitation for {invited}").get_by_role(
        "textbox", name="Invitation link"
    )
    url = link.input_value()
    assert url.startswith(f"{webapp_built}/app/join?token=")

    joiner = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    joiner.goto(url)
    expect(joiner.get_by_role("heading", name="Join your organization")).to_be_visible()
    password = secrets.token_urlsafe(18)
    joiner.get_by_label("Your name").fill("New Colleague")
    joiner.get_by_label("Password", exact=True).fill(password)
    joiner.get_by_label("Repeat the password").fill(password)
    screenshot(joiner, "join")
    joiner.get_by_role("button", name="Join").click()
    expect(joiner.get_by_role("status").filter(has_text="Your account is ready")).to_be_visible(
        timeout=30_000
    )
    joiner.get_by_role("link", name="Sign in").click()
    joiner.get_by_label(re.compile("Username or email", re.I)).fill(invited)
    joiner.get_by_label("Password", exact=True).fill(password)
    joiner.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(joiner.get_by_role("heading", name="My tasks")).to_be_visible(timeout=30_000)
    members = {m["email"]: m["role"] for m in org.ok("GET", "/members")["items"]}
    assert members[invited] == "member"
