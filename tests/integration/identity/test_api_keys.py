"""API keys through the real api and database: a key is shown once and only its SHA-256 is stored; it
authenticates as its owner with the owner's *current* rights narrowed by its scopes and project; and
each way a key can go bad is refused — revoked, expired, out of scope, out of its project, owner demoted
or removed, tenant part tampered with, used to manage keys, unknown or garbled. Failed attempts are
throttled per source address (429 after 20); that test clears its Redis counter when done, and every
test here starts and ends with the counter cleared so no other test inherits it.

Keys are made and revoked through the test-only header (standing in for a signed-in session); every
call *with* a key sends no such header, so nothing but the key can authenticate it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from enclave.web.api_key_auth import FAILURE_PREFIX, MAX_FAILURES
from enclave.web.key_tokens import new_token, parse_token
from tests.integration.domain.world import BOX, ONTOLOGY, Tenant, sql_as_tenant
from tests.integration.stack import Stack
from tests.support.api_keys import SOURCES, bearer, forget_key_failures, redis_client

API = "/api/v1"
ANY_VERSION = {"If-Match": "*"}


# --- helpers -------------------------------------------------------------------------------------------


def failures(stack: Stack) -> int:
    with redis_client(stack) as client:
        return sum(int(client.get(FAILURE_PREFIX + source) or 0) for source in SOURCES)


def with_key(tenant: Tenant, method: str, path: str, secret: str, **kwargs: Any) -> httpx.Response:
    """A call authenticated by ``secret`` alone: no test header."""
    headers = bearer(secret) | kwargs.pop("headers", {})
    return tenant.client.request(method, API + path, headers=headers, **kwargs)


def create_key(
    tenant: Tenant, owner: uuid.UUID, scopes: list[str], **fields: Any
) -> tuple[dict[str, Any], str]:
    """Makes a key as ``owner`` (through the test header); returns the key and its secret."""
    body = {"name": f"key-{uuid.uuid4().hex[:8]}", "scopes": scopes, **fields}
    created = tenant.ok("POST", "/api-keys", owner, json=body)
    return created["key"], created["secret"]


def assigned_task(tenant: Tenant, project: str, annotator: uuid.UUID) -> str:
    """A task of ``project`` the annotator has taken."""
    return str(tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"])


# --- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_inherited_failures(stack: Stack) -> Iterator[None]:
    forget_key_failures(stack)
    yield
    forget_key_failures(stack)


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


@pytest.fixture
def other_tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


# --- the tests ---------------------------------------------------------------------------------------------


class TestIssuing:
    def test_the_secret_is_shown_once_and_only_its_hash_is_stored(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        response = tenant.call(
            "POST", "/api-keys", member, json={"name": "ci", "scopes": ["tasks:read", "tasks:read"]}
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "no-store"
        key, secret = response.json()["key"], response.json()["secret"]
        token = parse_token(secret)
        assert token is not None
        assert (token.organization_id, token.prefix) == (tenant.org_id, key["prefix"])
        assert (key["user_id"], key["scopes"], key["project_id"]) == (str(member), ["tasks:read"], None)
        assert key["revoked_at"] is None

        # Never again: not in the owner's list, nor in the org admin's.
        for viewer in (member, tenant.admin_id):
            listed = tenant.call("GET", "/api-keys", viewer)
            assert listed.status_code == 200, listed.text
            assert key["id"] in {k["id"] for k in listed.json()["items"]}
            assert secret not in listed.text
            assert token.value.rsplit("_", 1)[1] not in listed.text
            assert all("secret" not in k for k in listed.json()["items"])

        [(stored, row)] = sql_as_tenant(
            tenant.org_id,
            "SELECT secret_hash, CAST(api_keys AS text) FROM api_keys WHERE id = :id",
            id=uuid.UUID(key["id"]),
        )
        assert isinstance(stored, bytes)
        assert len(stored) == 32
        assert stored == hashlib.sha256(secret.encode()).digest()
        assert stored != secret.encode()
        assert secret not in row
        assert secret.rsplit("_", 1)[1] not in row

    def test_members_see_only_their_own_keys_and_admins_all(self, tenant: Tenant) -> None:
        alice, bob = tenant.member("member"), tenant.member("tasker")
        alices, _ = create_key(tenant, alice, ["tasks:read"])
        bobs, _ = create_key(tenant, bob, ["tasks:read"])

        def listed(viewer: uuid.UUID) -> set[str]:
            return {k["id"] for k in tenant.ok("GET", "/api-keys", viewer, params={"limit": 200})["items"]}

        assert alices["id"] in listed(alice)
        assert bobs["id"] not in listed(alice)
        assert {alices["id"], bobs["id"]} <= listed(tenant.admin_id)

    @pytest.mark.parametrize(
        "expires_at",
        [
            dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
            dt.datetime.now(dt.UTC) + dt.timedelta(days=400),
        ],
        ids=["past", "beyond a year"],
    )
    def test_expiry_must_be_in_the_coming_year(self, tenant: Tenant, expires_at: dt.datetime) -> None:
        body = {"name": "k", "scopes": ["tasks:read"], "expires_at": expires_at.isoformat()}
        assert tenant.call("POST", "/api-keys", json=body).status_code == 400

    def test_a_key_for_a_project_of_another_tenant_is_refused(
        self, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        theirs, _ = other_tenant.project_with_items(1)
        body = {"name": "k", "scopes": ["tasks:read"], "project_id": theirs}
        assert tenant.call("POST", "/api-keys", json=body).status_code == 400


class TestUsing:
    def test_the_key_authenticates_as_its_owner(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        key, secret = create_key(tenant, member, ["tasks:read"])
        me = with_key(tenant, "GET", "/me", secret)
        assert me.status_code == 200, me.text
        assert str(member) in me.text
        assert with_key(tenant, "GET", "/organization", secret).status_code == 200
        # The scheme is case-insensitive, as HTTP says.
        lower = tenant.client.get(f"{API}/me", headers={"Authorization": f"bearer {secret}"})
        assert lower.status_code == 200, lower.text
        [used] = [k for k in tenant.ok("GET", "/api-keys", member)["items"] if k["id"] == key["id"]]
        assert used["last_used_at"] is not None

    def test_a_key_with_an_expiry_to_come_works(self, tenant: Tenant) -> None:
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        _, secret = create_key(tenant, tenant.admin_id, ["tasks:read"], expires_at=later)
        assert with_key(tenant, "GET", "/me", secret).status_code == 200


class TestRefused:
    def test_a_revoked_key(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        key, secret = create_key(tenant, member, ["tasks:read"])
        assert with_key(tenant, "GET", "/me", secret).status_code == 200
        revoked = tenant.ok("DELETE", f"/api-keys/{key['id']}", member)
        assert revoked["revoked_at"] is not None
        assert with_key(tenant, "GET", "/me", secret).status_code == 401

    def test_a_key_revoked_by_an_org_admin(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        key, secret = create_key(tenant, member, ["tasks:read"])
        tenant.ok("DELETE", f"/api-keys/{key['id']}")
        assert with_key(tenant, "GET", "/me", secret).status_code == 401

    def test_an_expired_key(self, tenant: Tenant) -> None:
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        key, secret = create_key(tenant, tenant.member("member"), ["tasks:read"], expires_at=later)
        assert with_key(tenant, "GET", "/me", secret).status_code == 200
        # The api refuses to make a key that has already expired; time passing is simulated here.
        sql_as_tenant(
            tenant.org_id,
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = :id",
            id=uuid.UUID(key["id"]),
        )
        assert with_key(tenant, "GET", "/me", secret).status_code == 401

    def test_a_key_out_of_its_scopes(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(2)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        task = assigned_task(tenant, project, annotator)
        _, reader = create_key(tenant, annotator, ["tasks:read"])
        _, writer = create_key(tenant, annotator, ["annotations:write"])

        assert with_key(tenant, "GET", f"/tasks/{task}", reader).status_code == 200
        refused = with_key(tenant, "POST", f"/tasks/{task}/annotations", reader, json={"payload": BOX})
        assert refused.status_code == 403, refused.text
        assert with_key(tenant, "GET", f"/tasks/{task}", writer).status_code == 403
        submitted = with_key(tenant, "POST", f"/tasks/{task}/annotations", writer, json={"payload": BOX})
        assert submitted.status_code == 201, submitted.text

    def test_a_key_outside_its_project(self, tenant: Tenant) -> None:
        p1, _ = tenant.project_with_items(1)
        p2, _ = tenant.project_with_items(1)
        tasks = {
            p: tenant.ok("GET", f"/projects/{p}/tasks")["items"][0]["id"]  # the org admin sees them all
            for p in (p1, p2)
        }
        _, secret = create_key(tenant, tenant.admin_id, ["admin"], project_id=p1)

        assert with_key(tenant, "GET", f"/tasks/{tasks[p1]}", secret).status_code == 200
        assert with_key(tenant, "GET", f"/projects/{p1}", secret).status_code == 200
        assert with_key(tenant, "GET", f"/tasks/{tasks[p2]}", secret).status_code in (403, 404)
        assert with_key(tenant, "GET", f"/projects/{p2}", secret).status_code in (403, 404)
        assert with_key(tenant, "GET", f"/projects/{p2}/tasks", secret).status_code in (403, 404)
        # Nor anything organization-wide, except knowing who it is.
        for path in ("/members", "/datasets", "/ontologies"):
            assert with_key(tenant, "GET", path, secret).status_code == 403, path
        assert with_key(tenant, "GET", "/me", secret).status_code == 200

    def test_my_tasks_through_a_project_key_shows_only_that_project(self, tenant: Tenant) -> None:
        p1, _ = tenant.project_with_items(1)
        p2, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        for p in (p1, p2):
            tenant.join(p, annotator, "annotator")
            assigned_task(tenant, p, annotator)
        _, secret = create_key(tenant, annotator, ["tasks:read"], project_id=p1)
        response = with_key(tenant, "GET", "/me/tasks", secret)
        shown = {t["project_id"] for t in response.json()["items"]} if response.status_code == 200 else set()
        assert shown <= {p1}

    def test_my_tasks_needs_tasks_read(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        assigned_task(tenant, project, annotator)
        _, secret = create_key(tenant, annotator, ["data:read"])
        assert with_key(tenant, "GET", "/me/tasks", secret).status_code == 403

    def test_the_key_of_a_demoted_owner(self, tenant: Tenant) -> None:
        owner = tenant.member("admin")
        ontology = tenant.ok("POST", "/ontologies", json={"name": "o", "definition": ONTOLOGY})
        _, secret = create_key(tenant, owner, ["admin"])

        def create_project() -> int:
            body = {"name": f"p-{uuid.uuid4().hex[:8]}", "ontology_id": ontology["id"]}
            return with_key(tenant, "POST", "/projects", secret, json=body).status_code

        assert create_project() == 201
        tenant.ok("PATCH", f"/members/{owner}", json={"role": "member"}, headers=ANY_VERSION)
        assert create_project() == 403
        assert with_key(tenant, "GET", "/me", secret).status_code == 200  # still theirs, with less

    def test_the_key_of_a_removed_owner(self, tenant: Tenant) -> None:
        owner = tenant.member("member")
        _, secret = create_key(tenant, owner, ["tasks:read"])
        assert with_key(tenant, "GET", "/me", secret).status_code == 200
        tenant.ok("DELETE", f"/members/{owner}")
        assert with_key(tenant, "GET", "/me", secret).status_code == 401
        assert with_key(tenant, "GET", "/projects", secret).status_code == 401

    def test_a_key_presented_as_another_tenants(self, tenant: Tenant, other_tenant: Tenant) -> None:
        _, secret = create_key(tenant, tenant.admin_id, ["admin"])
        for org in (other_tenant.org_id, uuid.uuid4()):
            tampered = secret.replace(tenant.org_id.hex, org.hex, 1)
            assert tampered != secret
            assert parse_token(tampered) is not None
            for path in ("/me", "/organization", "/members"):
                assert with_key(tenant, "GET", path, tampered).status_code == 401, (org, path)
        assert with_key(tenant, "GET", "/me", secret).status_code == 200

    def test_a_key_cannot_create_list_or_revoke_keys(self, tenant: Tenant) -> None:
        mine, secret = create_key(tenant, tenant.admin_id, ["admin"])
        theirs, _ = create_key(tenant, tenant.member("member"), ["tasks:read"])
        body = {"name": "minted", "scopes": ["admin"]}
        assert with_key(tenant, "POST", "/api-keys", secret, json=body).status_code == 403
        assert with_key(tenant, "GET", "/api-keys", secret).status_code == 403
        for key in (mine, theirs):
            assert with_key(tenant, "DELETE", f"/api-keys/{key['id']}", secret).status_code == 403
        assert [k["revoked_at"] for k in tenant.ok("GET", "/api-keys")["items"]] == [None, None]
        assert with_key(tenant, "GET", "/me", secret).status_code == 200

    @pytest.mark.parametrize(
        "garble",
        [
            lambda s, org: new_token(org).value,  # well-formed, unknown prefix
            lambda s, org: s[:-1] + ("A" if s[-1] != "A" else "B"),  # known prefix, wrong secret
            lambda s, org: s[:-1],  # truncated
            lambda s, org: s + "A",
            lambda s, org: "enc_nonsense",
            lambda s, org: f"enc_{org.hex}_{'0' * 12}_{'!' * 43}",
            lambda s, org: s.replace("enc_", "ENC_", 1),  # not even taken for a key
            lambda s, org: "enc_",
        ],
        ids=[
            "unknown",
            "wrong secret",
            "truncated",
            "too long",
            "garbled",
            "bad alphabet",
            "upper",
            "scheme only",
        ],
    )
    def test_an_unknown_or_garbled_key(self, tenant: Tenant, garble: Callable[[str, uuid.UUID], str]) -> None:
        _, secret = create_key(tenant, tenant.admin_id, ["admin"])
        response = with_key(tenant, "GET", "/me", garble(secret, tenant.org_id))
        assert response.status_code == 401, response.text
        assert secret not in response.text

    def test_a_key_under_another_scheme(self, tenant: Tenant) -> None:
        _, secret = create_key(tenant, tenant.admin_id, ["admin"])
        for value in (f"Basic {secret}", f"Token {secret}", secret, f"Bearer  {secret}"):
            assert tenant.client.get(f"{API}/me", headers={"Authorization": value}).status_code == 401, value


class TestThrottling:
    def test_after_20_failures_even_a_valid_key_gets_429_until_the_count_is_cleared(
        self, tenant: Tenant, stack: Stack
    ) -> None:
        _, secret = create_key(tenant, tenant.admin_id, ["admin"])
        unknown = new_token(tenant.org_id).value
        assert MAX_FAILURES == 20
        try:
            for _ in range(MAX_FAILURES - 1):
                assert with_key(tenant, "GET", "/me", unknown).status_code == 401
            assert failures(stack) == MAX_FAILURES - 1
            assert with_key(tenant, "GET", "/me", secret).status_code == 200  # one short: still in
            assert with_key(tenant, "GET", "/me", "enc_garbled").status_code == 401  # garbled counts too
            assert failures(stack) == MAX_FAILURES

            throttled = with_key(tenant, "GET", "/me", secret)
            assert throttled.status_code == 429, throttled.text
            assert with_key(tenant, "GET", "/me", unknown).status_code == 429
            # Signing in some other way is not throttled by failed keys.
            assert tenant.call("GET", "/me").status_code == 200
        finally:
            forget_key_failures(stack)
        assert with_key(tenant, "GET", "/me", secret).status_code == 200
