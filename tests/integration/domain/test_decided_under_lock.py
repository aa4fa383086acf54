"""Check-then-act: every change is decided on the facts that hold when it writes.

Each test drives the race for real. A second connection changes a fact the decision rests on — a
task's assignee or reviewer, a role, a membership, an account, an API key, the organization — and
holds that change uncommitted (its rows locked). The request is sent to the real api meanwhile; the
test waits until PostgreSQL shows the api's transaction waiting on the change (the barrier), then
commits it. A request decided under the locks it writes under waits at its decision and is decided
on the committed change: refused, nothing stored, nothing audited as done. A request that decided
first and locked later (or never) either finishes without waiting or writes on stale facts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from enclave.db.engine import create_engine
from enclave.settings import DatabaseSettings, TLSSettings
from tests.integration.domain.world import BOX, Tenant, audited, run_as_tenant
from tests.support.api_keys import bearer

pytestmark = pytest.mark.stack

#: How long the api may take to reach the change's lock before the test calls it a request that
#: never waited for it.
BARRIER_S = 15.0
_WAITERS = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted AND :pid = ANY(pg_blocking_pids(pid))")


class HeldChange:
    """A change made in a transaction of its own on a second connection, its rows locked until
    ``commit``."""

    def __init__(self, connection: AsyncConnection, pid: int) -> None:
        self.connection = connection
        self.pid = pid

    async def waiters(self) -> int:
        """How many other transactions wait on a lock this one holds (PostgreSQL's own view), asked
        on the change's own connection: it is idle inside its transaction while others wait."""
        found = await self.connection.execute(_WAITERS, {"pid": self.pid})
        return int(found.scalar_one())


@asynccontextmanager
async def held(org_id: uuid.UUID, statement: str, **params: Any) -> AsyncIterator[HeldChange]:
    """Runs ``statement`` as the api's role bound to ``org_id`` and keeps its transaction open."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name="enclave-tests-change")
    try:
        async with engine.connect() as connection:
            await connection.begin()
            await connection.execute(sa.select(sa.func.set_config("enclave.org_id", str(org_id), True)))
            changed = await connection.execute(sa.text(statement), params)
            assert changed.rowcount == 1, f"the change touched {changed.rowcount} rows: {statement}"
            pid = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            yield HeldChange(connection, int(pid))
    finally:
        await engine.dispose()


async def decided_across(
    tenant: Tenant, change: str, params: dict[str, Any], send: Callable[[], httpx.Response]
) -> httpx.Response:
    """Sends the request while ``change`` is held; commits the change once the api waits on it."""
    async with held(tenant.org_id, change, **params) as change_in_flight:
        response = asyncio.ensure_future(asyncio.to_thread(send))
        deadline = time.monotonic() + BARRIER_S
        while not await change_in_flight.waiters():
            if response.done():
                await change_in_flight.connection.rollback()
                finished = response.result()
                pytest.fail(
                    "The request was decided without waiting for a change to the facts it rests on "
                    f"(it answered {finished.status_code} while the change was uncommitted)."
                )
            assert time.monotonic() < deadline, "the api never reached the change's lock"
            await asyncio.sleep(0.02)
        await change_in_flight.connection.commit()
        return await response


async def one(tenant: Tenant, statement: str, **params: Any) -> Any:
    """The single value ``statement`` reads, as the api's role in the tenant (RLS applies)."""
    rows = await run_as_tenant(tenant.org_id, statement, params)
    assert len(rows) == 1, rows
    return rows[0][0]


class Workflow:
    """A project with one task, its annotator and reviewer, and a spare of each."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.project, _ = tenant.project_with_items(1)
        self.annotator = tenant.member("member")
        self.other_annotator = tenant.member("member")
        self.reviewer = tenant.member("member")
        self.other_reviewer = tenant.member("member")
        for user, role in (
            (self.annotator, "annotator"),
            (self.other_annotator, "annotator"),
            (self.reviewer, "reviewer"),
            (self.other_reviewer, "reviewer"),
        ):
            tenant.join(self.project, user, role)
        self.task = tenant.ok("GET", f"/projects/{self.project}/tasks")["items"][0]["id"]

    def take(self) -> None:
        taken = self.tenant.ok("POST", f"/projects/{self.project}/tasks/next", self.annotator, json={})
        assert taken["task"]["id"] == self.task

    def submit(self, user: uuid.UUID, **kwargs: Any) -> httpx.Response:
        return self.tenant.call(
            "POST", f"/tasks/{self.task}/annotations", user, json={"payload": BOX}, **kwargs
        )

    async def versions(self) -> int:
        return int(
            await one(
                self.tenant,
                "SELECT count(*) FROM annotation_versions WHERE task_id = :t",
                t=uuid.UUID(self.task),
            )
        )

    def etag(self) -> str:
        return self.tenant.call("GET", f"/tasks/{self.task}").headers["ETag"]


class TestTasks:
    async def test_a_reassigned_task_refuses_its_former_annotator(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        work.take()
        response = await decided_across(
            tenant,
            "UPDATE tasks SET assignee_id = :other, version = version + 1 WHERE id = :task",
            {"other": work.other_annotator, "task": uuid.UUID(work.task)},
            lambda: work.submit(work.annotator),
        )
        assert response.status_code == 403, response.text
        assert await work.versions() == 0
        assert await audited(tenant, "task:annotation:submit", f"task:{work.task}") == 0

    async def test_a_task_handed_to_another_reviewer_refuses_the_former_one(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        work.take()
        assert work.submit(work.annotator).status_code == 201
        taken = tenant.ok(
            "POST", f"/projects/{work.project}/tasks/next", work.reviewer, json={"stage": "review"}
        )
        assert taken["task"]["reviewer_id"] == str(work.reviewer)
        response = await decided_across(
            tenant,
            "UPDATE tasks SET reviewer_id = :other, version = version + 1 WHERE id = :task",
            {"other": work.other_reviewer, "task": uuid.UUID(work.task)},
            lambda: tenant.call(
                "POST", f"/tasks/{work.task}/reviews", work.reviewer, json={"decision": "approve"}
            ),
        )
        assert response.status_code == 403, response.text
        assert (
            await one(tenant, "SELECT count(*) FROM reviews WHERE task_id = :t", t=uuid.UUID(work.task)) == 0
        )
        assert (
            await one(tenant, "SELECT stage::text FROM tasks WHERE id = :t", t=uuid.UUID(work.task))
            == "review"
        )
        assert await audited(tenant, "task:review:decide", f"task:{work.task}") == 0

    async def test_a_team_manager_demoted_meanwhile_cannot_assign(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        manager = tenant.member("member")
        tenant.join(work.project, manager, "team_manager")
        etag = work.etag()
        response = await decided_across(
            tenant,
            "UPDATE project_members SET role = 'annotator', version = version + 1"
            " WHERE project_id = :project AND user_id = :manager",
            {"project": uuid.UUID(work.project), "manager": manager},
            lambda: tenant.call(
                "PATCH",
                f"/tasks/{work.task}",
                manager,
                json={"assignee_id": str(work.annotator)},
                headers={"If-Match": etag},
            ),
        )
        assert response.status_code == 403, response.text
        assert (
            await one(tenant, "SELECT assignee_id FROM tasks WHERE id = :t", t=uuid.UUID(work.task)) is None
        )
        assert await audited(tenant, "task:task:assign", f"task:{work.task}") == 0

    async def test_an_assignee_removed_from_the_project_meanwhile_is_not_assigned(
        self, tenant: Tenant
    ) -> None:
        work = Workflow(tenant)
        etag = work.etag()
        response = await decided_across(
            tenant,
            "DELETE FROM project_members WHERE project_id = :project AND user_id = :annotator",
            {"project": uuid.UUID(work.project), "annotator": work.annotator},
            lambda: tenant.call(
                "PATCH",
                f"/tasks/{work.task}",
                json={"assignee_id": str(work.annotator)},
                headers={"If-Match": etag},
            ),
        )
        assert response.status_code == 400, response.text
        assert (
            await one(tenant, "SELECT assignee_id FROM tasks WHERE id = :t", t=uuid.UUID(work.task)) is None
        )
        assert await audited(tenant, "task:task:assign", f"task:{work.task}") == 0


class TestProjectMembers:
    async def test_a_worker_promoted_meanwhile_is_out_of_a_team_managers_reach(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        manager = tenant.member("member")
        tenant.join(work.project, manager, "team_manager")
        member = f"/projects/{work.project}/members/{work.annotator}"
        listed = tenant.ok("GET", f"/projects/{work.project}/members")["items"]
        version = next(m["version"] for m in listed if m["user_id"] == str(work.annotator))
        etag = f'"v{version}"'
        response = await decided_across(
            tenant,
            "UPDATE project_members SET role = 'team_manager'"
            " WHERE project_id = :project AND user_id = :annotator",
            {"project": uuid.UUID(work.project), "annotator": work.annotator},
            lambda: tenant.call(
                "PATCH", member, manager, json={"role": "reviewer"}, headers={"If-Match": etag}
            ),
        )
        assert response.status_code == 403, response.text
        role = await one(
            tenant,
            "SELECT role::text FROM project_members WHERE project_id = :p AND user_id = :u",
            p=uuid.UUID(work.project),
            u=work.annotator,
        )
        assert role == "team_manager"
        assert await audited(tenant, "project:member:update", f"user:{work.annotator}") == 0

    async def test_a_member_becoming_a_tasker_meanwhile_is_not_made_a_manager(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        member = tenant.member("member")
        response = await decided_across(
            tenant,
            "UPDATE org_memberships SET role = 'tasker', version = version + 1 WHERE user_id = :member",
            {"member": member},
            lambda: tenant.call(
                "POST", f"/projects/{project}/members", json={"user_id": str(member), "role": "team_manager"}
            ),
        )
        assert response.status_code == 400, response.text
        assert (
            await one(
                tenant,
                "SELECT count(*) FROM project_members WHERE project_id = :p AND user_id = :u",
                p=uuid.UUID(project),
                u=member,
            )
            == 0
        )


class TestMembersAndKeys:
    async def test_an_admin_demoted_meanwhile_cannot_create_a_project(self, tenant: Tenant) -> None:
        admin = tenant.member("admin")
        ontology = tenant.ok(
            "POST",
            "/ontologies",
            json={
                "name": f"o-{uuid.uuid4().hex[:6]}",
                "definition": {"objects": [{"name": "car", "kind": "bbox"}], "classifications": []},
            },
        )
        name = f"p-{uuid.uuid4().hex[:6]}"
        response = await decided_across(
            tenant,
            "UPDATE org_memberships SET role = 'member', version = version + 1 WHERE user_id = :admin",
            {"admin": admin},
            lambda: tenant.call(
                "POST", "/projects", admin, json={"name": name, "ontology_id": ontology["id"]}
            ),
        )
        assert response.status_code == 403, response.text
        assert await one(tenant, "SELECT count(*) FROM projects WHERE name = :name", name=name) == 0

    async def test_a_tasker_promoted_meanwhile_is_out_of_a_workforce_managers_reach(
        self, tenant: Tenant
    ) -> None:
        manager = tenant.member("workforce_manager")
        tasker = tenant.member("tasker")
        etag = tenant.call("GET", f"/members/{tasker}").headers["ETag"]
        response = await decided_across(
            tenant,
            "UPDATE org_memberships SET role = 'member' WHERE user_id = :tasker",
            {"tasker": tasker},
            lambda: tenant.call(
                "PATCH",
                f"/members/{tasker}",
                manager,
                json={"display_name": "renamed"},
                headers={"If-Match": etag},
            ),
        )
        assert response.status_code == 403, response.text
        assert await one(tenant, "SELECT display_name FROM users WHERE id = :u", u=tasker) != "renamed"
        assert await audited(tenant, "org:member:update", f"user:{tasker}") == 0

    async def test_a_member_removed_meanwhile_is_refused(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        work.take()
        response = await decided_across(
            tenant,
            "UPDATE users SET disabled = true WHERE id = :annotator",
            {"annotator": work.annotator},
            lambda: work.submit(work.annotator),
        )
        assert response.status_code == 401, response.text
        assert await work.versions() == 0
        assert await audited(tenant, "task:annotation:submit", f"task:{work.task}") == 0

    async def test_a_key_revoked_meanwhile_is_refused(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        work.take()
        created = tenant.ok(
            "POST", "/api-keys", work.annotator, json={"name": "k", "scopes": ["annotations:write"]}
        )
        secret, key_id = created["secret"], uuid.UUID(created["key"]["id"])
        response = await decided_across(
            tenant,
            "UPDATE api_keys SET revoked_at = now() WHERE id = :key",
            {"key": key_id},
            lambda: tenant.client.post(
                f"/api/v1/tasks/{work.task}/annotations", json={"payload": BOX}, headers=bearer(secret)
            ),
        )
        assert response.status_code == 401, response.text
        assert await work.versions() == 0
        assert await audited(tenant, "task:annotation:submit", f"task:{work.task}") == 0


class TestTermination:
    async def test_a_terminated_organization_takes_no_more_changes(self, tenant: Tenant) -> None:
        work = Workflow(tenant)
        work.take()
        response = await decided_across(
            tenant,
            "UPDATE organizations SET terminated_at = now(), shred_after = now() + interval '30 days'"
            " WHERE id = :org",
            {"org": tenant.org_id},
            lambda: work.submit(work.annotator),
        )
        assert response.status_code == 409, response.text
        assert await work.versions() == 0
        assert await audited(tenant, "task:annotation:submit", f"task:{work.task}") == 0
