"""Builds tenants for the domain tests through the real api: an organization is provisioned the way
the operator will (``provision_organization``, as the api's database role), everything else is
created by calling the API as that organization's admin."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa

from enclave.api.auth.test_hook import HEADER
from enclave.db.engine import create_engine
from enclave.db.repositories.organizations import CustomerBucket, OwnKms
from enclave.settings import DatabaseSettings, TLSSettings
from tests.support.organizations import new_organization

ONTOLOGY = {
    "objects": [{"name": "car", "kind": "bbox"}, {"name": "road", "kind": "polygon"}],
    "classifications": [{"name": "weather", "options": ["sunny", "rainy"]}],
}
BOX = {"objects": [{"kind": "bbox", "label": "car", "x": 1, "y": 2, "width": 30, "height": 40}]}


async def _provision(
    slug: str, home: CustomerBucket | None = None, kms: OwnKms | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    async with new_organization(slug, f"Org {slug}", "Admin", home=home, kms=kms) as (_, done):
        return done.organization_id, done.admin_user_id


async def run_as_tenant(org_id: uuid.UUID, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """``sql_as_tenant`` for tests that run in an event loop."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name="enclave-tests")
    try:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(sa.select(sa.func.set_config("enclave.org_id", str(org_id), True)))
            result = await connection.execute(sa.text(statement), params)
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def sql_as_tenant(org_id: uuid.UUID, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Runs one statement straight in the database, as the api's role bound to ``org_id`` (RLS
    applies), past the api's checks: to read what the api stored, or to make states the api refuses
    to create but must still handle safely."""
    return asyncio.run(run_as_tenant(org_id, statement, params))


async def audited(tenant: Tenant, action: str, target: str) -> int:
    """Events of ``action`` on ``target`` anywhere in the trail (outbox or chained log), read as the
    audit service's role."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="enclave-tests")
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM audit_outbox WHERE organization_id = :org"
                    "        AND event ->> 'action' = :action AND event ->> 'target' = :target)"
                    "     + (SELECT count(*) FROM audit_log WHERE organization_id = :org"
                    "        AND action = :action AND target = :target)"
                ),
                {"org": tenant.org_id, "action": action, "target": target},
            )
            return int(found.scalar_one())
    finally:
        await engine.dispose()


def force_org_role(org_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    """Sets an org role past the api's checks (e.g. a Tasker who still holds a managing role)."""
    sql = "UPDATE org_memberships SET role = CAST(:role AS org_role) WHERE user_id = :user"
    sql_as_tenant(org_id, sql, role=role, user=user_id)


def force_assignment(org_id: uuid.UUID, task_id: str, assignee: uuid.UUID, reviewer: uuid.UUID) -> None:
    """Assigns a task past the api's checks: work assigned to someone before they were removed."""
    sql = "UPDATE tasks SET assignee_id = :a, reviewer_id = :r, version = version + 1 WHERE id = :t"
    sql_as_tenant(org_id, sql, a=assignee, r=reviewer, t=uuid.UUID(task_id))


def provision(
    slug: str | None = None, home: CustomerBucket | None = None, kms: OwnKms | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """A new organization and its admin's user id (the stack's environment must be loaded); ``home``:
    the customer's bucket it keeps its objects in (None: a managed one); ``kms``: where its key is."""
    return asyncio.run(_provision(slug or f"t-{uuid.uuid4().hex[:10]}", home, kms))


def as_user(org_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, str]:
    return {HEADER: f"{org_id}/{user_id}"}


@dataclass
class Tenant:
    client: httpx.Client
    org_id: uuid.UUID
    admin_id: uuid.UUID
    users: dict[str, uuid.UUID] = field(default_factory=dict)

    slug: str = ""

    @classmethod
    def create(
        cls,
        client: httpx.Client,
        slug: str | None = None,
        home: CustomerBucket | None = None,
        kms: OwnKms | None = None,
    ) -> Tenant:
        slug = slug or f"t-{uuid.uuid4().hex[:10]}"
        org_id, admin_id = provision(slug, home, kms)
        return cls(client, org_id, admin_id, slug=slug)

    def headers(self, user_id: uuid.UUID | None = None) -> dict[str, str]:
        return as_user(self.org_id, user_id or self.admin_id)

    def call(self, method: str, path: str, user_id: uuid.UUID | None = None, **kwargs: Any) -> httpx.Response:
        headers = self.headers(user_id) | kwargs.pop("headers", {})
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    def ok(self, method: str, path: str, user_id: uuid.UUID | None = None, **kwargs: Any) -> Any:
        response = self.call(method, path, user_id, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def member(self, role: str, name: str | None = None) -> uuid.UUID:
        name = name or f"{role}-{uuid.uuid4().hex[:6]}"
        body = {"email": f"{name}@example.org", "display_name": name, "role": role}
        user_id = uuid.UUID(self.ok("POST", "/members", json=body)["user_id"])
        self.users[name] = user_id
        return user_id

    def project_with_items(self, items: int = 3) -> tuple[str, str]:
        """A project with an ontology, a dataset of ``items`` items attached, and its tasks."""
        suffix = uuid.uuid4().hex[:6]
        ontology = self.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
        project = self.ok("POST", "/projects", json={"name": f"p-{suffix}", "ontology_id": ontology["id"]})
        dataset = self.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "image"})
        names = [{"name": f"img-{i}.png", "media_type": "image/png"} for i in range(items)]
        for start in range(0, items, 1000):  # the most one request may add
            self.ok("POST", f"/datasets/{dataset['id']}/items", json={"items": names[start : start + 1000]})
        self.ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
        self.ok("POST", f"/projects/{project['id']}/tasks", json={})
        return project["id"], dataset["id"]

    def join(self, project_id: str, user_id: uuid.UUID, role: str) -> None:
        self.ok("POST", f"/projects/{project_id}/members", json={"user_id": str(user_id), "role": role})

    def set_workflow(self, project_id: str, **settings: Any) -> dict[str, Any]:
        """Sets the project's workflow (``PUT …/workflow``) as the org admin, with its current ETag."""
        etag = self.call("GET", f"/projects/{project_id}/workflow").headers["ETag"]
        workflow: dict[str, Any] = self.ok(
            "PUT", f"/projects/{project_id}/workflow", json=settings, headers={"If-Match": etag}
        )
        return workflow

    def take(self, project_id: str, user_id: uuid.UUID, stage: str | None = None) -> dict[str, Any] | None:
        """The task ``tasks/next`` hands ``user_id`` (None: the queue is empty)."""
        body = {} if stage is None else {"stage": stage}
        task: dict[str, Any] | None = self.ok(
            "POST", f"/projects/{project_id}/tasks/next", user_id, json=body
        )["task"]
        return task
