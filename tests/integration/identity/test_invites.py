"""Invitations: single use, expiring, within the inviter's rights, ending in a real Keycloak account."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from enclave.identity.realms import RealmService
from tests.integration.domain.world import Tenant, audited, sql_as_tenant
from tests.integration.identity.signin import PASSWORD, Person, sign_in


def expire(org_id: uuid.UUID, email: str) -> None:
    sql = "UPDATE invites SET expires_at = now() - interval '1 minute' WHERE email = :e"
    sql_as_tenant(org_id, sql, e=email)


def accept(client: httpx.Client, token: str, password: str = PASSWORD) -> httpx.Response:
    return client.post(
        "/auth/invites/accept", json={"token": token, "display_name": "New Person", "password": password}
    )


class TestInvites:
    def test_invite_accept_sign_in(
        self, org: Tenant, realms: RealmService, browser: httpx.Client, keycloak_browser: httpx.Client
    ) -> None:
        email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
        created = org.ok("POST", "/invites", json={"email": email, "role": "tasker"})
        token = created["token"]
        assert token.startswith("inv_")
        accepted = accept(browser, token)
        assert accepted.status_code == 201, accepted.text
        assert f"org={org.slug}" in accepted.json()["login_url"]
        # Recorded once, in the acceptance's own transaction, with the new member as its actor.
        new_member = f"user:{accepted.json()['user_id']}"
        assert asyncio.run(audited(org, "org:invite:accept", new_member)) == 1
        # Single use.
        assert accept(browser, token).status_code == 400
        # The account is real: sign in with the chosen password and see the invited role.
        sign_in(browser, keycloak_browser, org, Person(email, uuid.UUID(accepted.json()["user_id"])))
        me = browser.get("/api/v1/me").json()
        assert (me["email"], me["role"]) == (email, "tasker")

    def test_expired_and_forged_invitations_are_refused(self, org: Tenant, browser: httpx.Client) -> None:
        email = f"late-{uuid.uuid4().hex[:8]}@example.org"
        token = org.ok("POST", "/invites", json={"email": email, "role": "member"})["token"]
        expire(org.org_id, email)
        assert accept(browser, token).status_code == 400
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert accept(browser, forged).status_code == 400
        assert accept(browser, "not-a-token-at-all").status_code == 400

    def test_weak_passwords_are_refused_and_the_invitation_stays_usable(
        self, org: Tenant, browser: httpx.Client
    ) -> None:
        email = f"weak-{uuid.uuid4().hex[:8]}@example.org"
        token = org.ok("POST", "/invites", json={"email": email, "role": "member"})["token"]
        weak = accept(browser, token, password=email)  # the e-mail itself: refused by the policy
        assert weak.status_code == 400
        assert "password policy" in weak.json()["detail"]
        assert accept(browser, token).status_code == 201

    def test_workforce_managers_invite_taskers_only(self, org: Tenant) -> None:
        manager = org.member("workforce_manager")
        email = f"w-{uuid.uuid4().hex[:8]}@example.org"
        assert (
            org.call("POST", "/invites", manager, json={"email": email, "role": "tasker"}).status_code == 201
        )
        assert (
            org.call("POST", "/invites", manager, json={"email": email, "role": "member"}).status_code == 403
        )
        annotator = org.member("member")
        assert (
            org.call("POST", "/invites", annotator, json={"email": email, "role": "tasker"}).status_code
            == 403
        )
