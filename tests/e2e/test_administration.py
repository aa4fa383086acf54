"""An organization's admin in the browser: invites a member, changes someone's role, and reads both
actions in the audit view, whose verification says the trail is intact — under the strict CSP."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import person


def test_invite_change_a_role_and_read_the_trail(
    page: Page,
    org: Tenant,
    realms: RealmService,
    webapp_built: str,
    audit_service: object,
    csp_violations: None,
) -> None:
    admin = person(org, realms, "admin")
    colleague = f"colleague-{uuid.uuid4().hex[:6]}@example.org"
    org.ok("POST", "/members", json={"email": colleague, "display_name": "A colleague", "role": "member"})
    invited = f"new-{uuid.uuid4().hex[:6]}@example.org"

    sign_in(page, webapp_built, org.slug, admin)
    page.get_by_role("link", name="Members").click()
    invite = page.get_by_role("form", name="Invite a member")
    invite.get_by_label("E-mail").fill(invited)
    invite.get_by_label("Role", exact=True).select_option("member")
    invite.get_by_role("button", name="Invite").click()
    result = page.get_by_role("region", name=f"Invitation for {invited}")
    expect(result).to_be_visible()
    assert "/app/join?token=" in result.get_by_role("textbox", name="Invitation link").input_value()
    result.get_by_role("button", name="Done").click()

    page.get_by_label(f"Role of {colleague}").select_option("workforce_manager")
    expect(page.get_by_text(re.compile(f"Role of {re.escape(colleague)} changed to"))).to_be_visible()
    screenshot(page, "members")
    members = {m["email"]: m["role"] for m in org.ok("GET", "/members")["items"]}
    assert members[colleague] == "workforce_manager"

    page.get_by_role("link", name="Audit trail").click()
    events = page.get_by_role("table", name="Audit events")
    deadline = time.monotonic() + 30
    wanted = ("org:invite:create", "org:member:update")
    while not all(events.get_by_text(action).count() for action in wanted):
        assert time.monotonic() < deadline, "the trail never showed the invitation and the role change"
        time.sleep(0.5)
        page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Verify the trail").click()
    expect(page.get_by_text("The trail is intact.")).to_be_visible(timeout=30_000)
    screenshot(page, "audit")
