"""Tenant isolation, wall by wall: PostgreSQL's row-level security holds with the application's own
tenant filter removed, annotation history is append-only even for the schema owner, and through the
API one organization can neither see nor touch nor reference another's rows.

Two tenants are built once for the module through the real api, each with a project, its ontology
and dataset, three tasks, members, an annotation and a review. The database tests never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Select, TextClause, delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from enclave.db.engine import create_engine
from enclave.db.models import Base, Project, TenantMixin
from enclave.db.repositories.projects import ProjectRepository
from enclave.db.repositories.tasks import TaskRepository
from enclave.db.session import bind_tenant
from enclave.settings import DatabaseSettings, TLSSettings
from tests.integration.domain.world import BOX, Tenant, as_user
from tests.integration.stack import Stack

#: Every table of tenant rows (a ``TenantMixin`` model), so a new one is checked without edits here.
TENANT_TABLES = sorted(
    mapper.local_table.name for mapper in Base.registry.mappers if issubclass(mapper.class_, TenantMixin)
)
#: Tenant tables whose row-level security applies to the api (and the worker, the same role) but not
#: to their owner: the owner reaches every organization's rows only through one SECURITY DEFINER
#: function, which hands a worker the next job's id, organization and attempt (migration 0012).
NOT_FORCED = {"jobs"}
#: Tables ``populate`` below puts rows into for both tenants (the others must still show no stranger's).
POPULATED = {
    "annotation_versions",
    "api_keys",
    "data_items",
    "datasets",
    "ontologies",
    "ontology_versions",
    "org_memberships",
    "project_datasets",
    "project_members",
    "projects",
    "reviews",
    "tasks",
    "users",
}
APPEND_ONLY = ("annotation_versions", "reviews")
INSUFFICIENT_PRIVILEGE = "42501"


# --- two tenants, built through the api ------------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """One tenant's rows: the ids the other tenant must never reach."""

    tenant: Tenant
    project: str
    ontology: str
    dataset: str
    tasks: frozenset[str]
    task: str  # annotated, reviewed (rejected) and back in the annotate stage
    annotator: str
    reviewer: str
    annotation: str
    review: str
    api_key: str

    @property
    def org_id(self) -> uuid.UUID:
        return self.tenant.org_id


def populate(tenant: Tenant) -> Holdings:
    project, dataset = tenant.project_with_items(3)
    ontology = tenant.ok("GET", f"/projects/{project}")["ontology_id"]
    annotator, reviewer = tenant.member("member"), tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.join(project, reviewer, "reviewer")
    task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
    annotation = tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})["id"]
    tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
    review = tenant.ok(
        "POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "reject", "comment": "again"}
    )["id"]
    tasks = frozenset(t["id"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"])
    assert len(tasks) == 3
    key = tenant.ok("POST", "/api-keys", json={"name": "isolation", "scopes": ["tasks:read"]})["key"]["id"]
    return Holdings(
        tenant,
        project,
        ontology,
        dataset,
        tasks,
        task,
        str(annotator),
        str(reviewer),
        annotation,
        review,
        key,
    )


@pytest.fixture(scope="module")
def client(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def a(client: httpx.Client) -> Holdings:
    return populate(Tenant.create(client))


@pytest.fixture(scope="module")
def b(client: httpx.Client) -> Holdings:
    return populate(Tenant.create(client))


# --- database sessions -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def api_engine(migrated: Stack) -> AsyncIterator[AsyncEngine]:
    """The api's own database role (no BYPASSRLS, no ownership), as the api connects."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name="enclave-isolation-tests")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def owner_engine(migrated: Stack) -> AsyncIterator[AsyncEngine]:
    """The schema owner, which runs migrations: RLS is forced on it too."""
    engine = create_engine(
        DatabaseSettings(), TLSSettings(), as_owner=True, application_name="enclave-isolation-tests"
    )
    yield engine
    await engine.dispose()


@asynccontextmanager
async def tenant_session(engine: AsyncEngine, org_id: uuid.UUID | None) -> AsyncIterator[AsyncSession]:
    """A session bound to ``org_id`` (or to no tenant), rolled back when it closes: nothing commits."""
    async with AsyncSession(engine) as session:
        if org_id is not None:
            await bind_tenant(session, org_id)
        yield session
        await session.rollback()


def sqlstate(error: DBAPIError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(orig.__cause__, "sqlstate", None)


async def refused(engine: AsyncEngine, org_id: uuid.UUID | None, statement: Any, *, says: str) -> DBAPIError:
    """Runs ``statement`` in its own session and expects PostgreSQL to refuse it (insufficient privilege)."""
    async with tenant_session(engine, org_id) as session:
        with pytest.raises(DBAPIError) as caught:
            await session.execute(statement)
    assert sqlstate(caught.value) == INSUFFICIENT_PRIVILEGE, caught.value
    assert says in str(caught.value.orig), caught.value
    return caught.value


async def organizations_in(session: AsyncSession, table: str) -> set[uuid.UUID]:
    column = "id" if table == "organizations" else "organization_id"
    # Table names come from the model above, never from input.
    rows = await session.execute(text(f"SELECT DISTINCT {column} FROM {table}"))  # noqa: S608
    return {row[0] for row in rows}


class UnscopedTasks(TaskRepository):
    """The application's tenant filter turned off: only row-level security is left."""

    def scoped(self, statement: Any) -> Any:
        return statement


class UnscopedProjects(ProjectRepository):
    def scoped(self, statement: Any) -> Any:
        return statement


# --- row-level security alone ------------------------------------------------------------------------


class TestRowLevelSecurityAlone:
    def test_the_unscoped_repositories_really_have_no_tenant_filter(self) -> None:
        session = AsyncSession()  # never used to run anything
        for repository in (UnscopedTasks(session, uuid.uuid4()), UnscopedProjects(session, uuid.uuid4())):
            statement: Select[Any] = repository.select()
            assert statement.whereclause is None

    async def test_an_unscoped_repository_sees_only_the_bound_tenants_rows(
        self, api_engine: AsyncEngine, a: Holdings, b: Holdings
    ) -> None:
        for mine, theirs in ((a, b), (b, a)):
            async with tenant_session(api_engine, mine.org_id) as session:
                tasks, projects = UnscopedTasks(session, mine.org_id), UnscopedProjects(session, mine.org_id)
                task_rows = {(str(t.id), t.organization_id) for t in await tasks.list(tasks.select())}
                project_ids = {str(p.id) for p in await projects.list(projects.select())}
                by_id = await tasks.get(uuid.UUID(theirs.task))
            # Exactly this tenant's rows come back, although the other tenant's exist (the loop's
            # other turn reads them, bound to the other tenant).
            assert {task_id for task_id, _ in task_rows} == mine.tasks
            assert {org for _, org in task_rows} == {mine.org_id}
            assert project_ids == {mine.project}
            assert by_id is None

    @pytest.mark.parametrize("table", ["organizations", *TENANT_TABLES])
    async def test_every_table_shows_only_the_bound_tenant(
        self, api_engine: AsyncEngine, a: Holdings, b: Holdings, table: str
    ) -> None:
        for tenant in (a, b):
            async with tenant_session(api_engine, tenant.org_id) as session:
                seen = await organizations_in(session, table)
            if table == "organizations" or table in POPULATED:
                assert seen == {tenant.org_id}, table
            else:
                assert seen <= {tenant.org_id}, table

    async def test_every_tenant_table_has_forced_rls_and_a_policy(self, api_engine: AsyncEngine) -> None:
        query = text(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   pg_get_userbyid(c.relowner) = current_user AS owned_by_api,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = ANY(:tables)
            """
        )
        tables = ["organizations", *TENANT_TABLES]
        async with tenant_session(api_engine, None) as session:
            rows = (await session.execute(query, {"tables": tables})).all()
        assert sorted(row.relname for row in rows) == sorted(tables)
        for row in rows:
            facts = (row.relrowsecurity, row.relforcerowsecurity, row.has_policy, row.owned_by_api)
            forced = row.relname not in NOT_FORCED
            assert facts == (True, forced, True, False), row.relname

    @pytest.mark.parametrize("table", ["organizations", *TENANT_TABLES])
    async def test_no_tenant_bound_shows_nothing(
        self, api_engine: AsyncEngine, a: Holdings, table: str
    ) -> None:
        async with api_engine.connect() as connection:
            # A fresh transaction, then one on the same connection after a tenant was bound and
            # committed: the setting is transaction-local, so a pooled connection carries nothing over.
            count = text(f"SELECT count(*) FROM {table}")  # noqa: S608 — names from the model
            async with connection.begin():
                assert (await connection.execute(count)).scalar_one() == 0
            async with connection.begin():
                await connection.execute(
                    text("SELECT set_config('enclave.org_id', :org, true)"), {"org": str(a.org_id)}
                )
                if table in POPULATED:
                    assert (await connection.execute(count)).scalar_one() > 0
            async with connection.begin():
                assert (await connection.execute(count)).scalar_one() == 0

    async def test_rows_of_another_tenant_cannot_be_written(
        self, api_engine: AsyncEngine, a: Holdings, b: Holdings
    ) -> None:
        foreign_project = Project(
            id=uuid.uuid4(),
            organization_id=b.org_id,
            name=f"planted-{uuid.uuid4().hex[:8]}",
            description="",
            ontology_id=uuid.UUID(b.ontology),
            review_required=True,
            tags=[],
        )
        async with tenant_session(api_engine, a.org_id) as session:
            session.add(foreign_project)
            with pytest.raises(DBAPIError) as caught:
                await session.flush()
        assert sqlstate(caught.value) == INSUFFICIENT_PRIVILEGE
        assert "violates row-level security policy" in str(caught.value.orig)

        # Moving one's own row into another tenant fails the policy's WITH CHECK.
        await refused(
            api_engine,
            a.org_id,
            update(Project).where(Project.id == uuid.UUID(a.project)).values(organization_id=b.org_id),
            says="violates row-level security policy",
        )
        # The other tenant's rows cannot even be found to change or delete.
        async with tenant_session(api_engine, a.org_id) as session:
            theirs = uuid.UUID(b.project)
            renamed = await session.execute(update(Project).where(Project.id == theirs).values(name="x"))
            removed = await session.execute(delete(Project).where(Project.id == theirs))
            assert (renamed.rowcount, removed.rowcount) == (0, 0)  # type: ignore[attr-defined]

    async def test_the_api_role_cannot_switch_rls_off(self, api_engine: AsyncEngine, a: Holdings) -> None:
        async with tenant_session(api_engine, None) as session:
            role = (
                await session.execute(
                    text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                )
            ).one()
        assert (role.rolsuper, role.rolbypassrls) == (False, False)

        # `row_security = off` is allowed to be set, but then any query RLS would filter is an error
        # rather than a way around the policy.
        async with tenant_session(api_engine, a.org_id) as session:
            await session.execute(text("SET LOCAL row_security = off"))
            with pytest.raises(DBAPIError) as caught:
                await session.execute(text("SELECT count(*) FROM tasks"))
        assert sqlstate(caught.value) == INSUFFICIENT_PRIVILEGE
        assert "would be affected by row-level security policy" in str(caught.value.orig)

        await refused(
            api_engine, a.org_id, text("ALTER TABLE tasks DISABLE ROW LEVEL SECURITY"), says="must be owner"
        )
        await refused(
            api_engine,
            a.org_id,
            text("ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY"),
            says="must be owner",
        )
        await refused(
            api_engine, a.org_id, text("DROP POLICY tenant_isolation ON tasks"), says="must be owner"
        )
        owner = DatabaseSettings().owner_user
        await refused(api_engine, a.org_id, text(f'SET ROLE "{owner}"'), says="permission denied")


# --- append-only history ---------------------------------------------------------------------------


def _changes(table: str, row_id: str) -> list[TextClause]:
    where = f"WHERE id = '{uuid.UUID(row_id)}'"  # a UUID, formatted by uuid itself
    change = "payload = payload" if table == "annotation_versions" else "comment = 'rewritten'"
    return [text(f"UPDATE {table} SET {change} {where}"), text(f"DELETE FROM {table} {where}")]  # noqa: S608


def _row_of(holdings: Holdings, table: str) -> str:
    return holdings.annotation if table == "annotation_versions" else holdings.review


class TestAppendOnly:
    @pytest.mark.parametrize("table", APPEND_ONLY)
    async def test_the_api_role_may_not_change_history(
        self, api_engine: AsyncEngine, a: Holdings, table: str
    ) -> None:
        for statement in [*_changes(table, _row_of(a, table)), text(f"TRUNCATE {table}")]:
            await refused(api_engine, a.org_id, statement, says="permission denied")

    @pytest.mark.parametrize("table", APPEND_ONLY)
    async def test_the_trigger_refuses_even_the_owner(
        self, owner_engine: AsyncEngine, a: Holdings, table: str
    ) -> None:
        row_id = _row_of(a, table)
        async with tenant_session(owner_engine, a.org_id) as session:
            # The owner sees the row (so a refusal below is the trigger, not RLS matching nothing).
            found = await session.execute(
                text(f"SELECT count(*) FROM {table} WHERE id = :id"),  # noqa: S608
                {"id": uuid.UUID(row_id)},
            )
            assert found.scalar_one() == 1
        # TRUNCATE names both tables so the foreign key between them is not what refuses it.
        truncate = text("TRUNCATE annotation_versions, reviews")
        for statement in [*_changes(table, row_id), truncate]:
            await refused(owner_engine, a.org_id, statement, says="is append-only")


# --- through the api -------------------------------------------------------------------------------


def _reads(theirs: Holdings) -> list[str]:
    return [
        f"/projects/{theirs.project}",
        f"/projects/{theirs.project}/members",
        f"/projects/{theirs.project}/tasks",
        f"/tasks/{theirs.task}",
        f"/tasks/{theirs.task}/annotations",
        f"/tasks/{theirs.task}/reviews",
        f"/members/{theirs.annotator}",
        f"/ontologies/{theirs.ontology}",
        f"/ontologies/{theirs.ontology}/versions",
        f"/datasets/{theirs.dataset}",
        f"/datasets/{theirs.dataset}/items",
    ]


def _writes(theirs: Holdings) -> list[tuple[str, str, dict[str, Any] | None]]:
    member = {"user_id": theirs.annotator, "role": "annotator"}
    return [
        ("PATCH", f"/projects/{theirs.project}", {"name": "taken over"}),
        ("POST", f"/projects/{theirs.project}/members", member),
        ("PATCH", f"/projects/{theirs.project}/members/{theirs.annotator}", {"role": "reviewer"}),
        ("DELETE", f"/projects/{theirs.project}/members/{theirs.annotator}", None),
        ("POST", f"/projects/{theirs.project}/datasets", {"dataset_id": theirs.dataset}),
        ("POST", f"/projects/{theirs.project}/tasks", {}),
        ("POST", f"/projects/{theirs.project}/tasks/next", {}),
        ("PATCH", f"/tasks/{theirs.task}", {"priority": 5}),
        ("DELETE", f"/tasks/{theirs.task}", None),
        ("POST", f"/tasks/{theirs.task}/annotations", {"payload": BOX}),
        ("POST", f"/tasks/{theirs.task}/reviews", {"decision": "approve"}),
        ("PATCH", f"/members/{theirs.annotator}", {"display_name": "taken over"}),
        ("DELETE", f"/members/{theirs.annotator}", None),
        ("POST", f"/ontologies/{theirs.ontology}/versions", {"definition": {"objects": []}}),
        (
            "POST",
            f"/datasets/{theirs.dataset}/items",
            {"items": [{"name": "x.png", "media_type": "image/png"}]},
        ),
    ]


def _ids(tenant: Tenant, path: str, key: str = "id") -> set[str]:
    return {item[key] for item in tenant.ok("GET", path, params={"limit": 200})["items"]}


def _all_ids(holdings: Holdings) -> set[str]:
    return {
        holdings.project,
        holdings.ontology,
        holdings.dataset,
        *holdings.tasks,
        holdings.annotator,
        holdings.reviewer,
        str(holdings.tenant.admin_id),
        holdings.annotation,
        holdings.review,
        holdings.api_key,
    }


class TestAcrossTheApi:
    def test_another_tenants_ids_are_not_found(self, a: Holdings, b: Holdings) -> None:
        for mine, theirs in ((b, a), (a, b)):
            for path in _reads(theirs):
                response = mine.tenant.call("GET", path)
                assert response.status_code == 404, (path, response.status_code, response.text)
                assert theirs.project not in response.text

    def test_another_tenants_rows_cannot_be_changed(self, a: Holdings, b: Holdings) -> None:
        before = a.tenant.ok("GET", f"/tasks/{a.task}")
        for method, path, body in _writes(a):
            # If-Match "*" matches any version: only the tenant wall can stop these.
            response = b.tenant.call(method, path, json=body, headers={"If-Match": "*"})
            assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert a.tenant.ok("GET", f"/tasks/{a.task}") == before
        assert a.tenant.ok("GET", f"/members/{a.annotator}")["display_name"] != "taken over"
        assert a.tenant.ok("GET", f"/projects/{a.project}")["name"] != "taken over"
        assert _ids(a.tenant, f"/projects/{a.project}/members", "user_id") == {a.annotator, a.reviewer}
        assert a.tenant.ok("GET", "/api-keys")["items"][0]["revoked_at"] is None

    def test_another_tenants_ids_are_refused_in_request_bodies(self, a: Holdings, b: Holdings) -> None:
        mine = b.tenant
        my_task = next(iter(b.tasks - {b.task}))
        attempts = [
            ("POST", "/projects", {"name": f"p-{uuid.uuid4().hex[:6]}", "ontology_id": a.ontology}),
            ("POST", f"/projects/{b.project}/datasets", {"dataset_id": a.dataset}),
            ("POST", f"/projects/{b.project}/tasks", {"dataset_id": a.dataset}),
            ("POST", f"/projects/{b.project}/members", {"user_id": a.annotator, "role": "annotator"}),
            ("PATCH", f"/tasks/{my_task}", {"assignee_id": a.annotator}),
            ("PATCH", f"/tasks/{my_task}", {"reviewer_id": a.reviewer}),
        ]
        for method, path, body in attempts:
            response = mine.call(method, path, json=body, headers={"If-Match": "*"})
            assert response.status_code in {400, 404}, (method, path, response.status_code, response.text)
        assert _ids(mine, "/projects") == {b.project}
        assert _ids(mine, f"/projects/{b.project}/members", "user_id") == {b.annotator, b.reviewer}
        assert mine.ok("GET", f"/tasks/{my_task}")["assignee_id"] is None
        assert len(_ids(mine, f"/projects/{b.project}/tasks")) == 3

    def test_a_claim_naming_another_organization_is_not_a_member(self, a: Holdings, b: Holdings) -> None:
        client = a.tenant.client
        for org, user in ((a.org_id, b.tenant.admin_id), (b.org_id, uuid.UUID(a.annotator))):
            response = client.get("/api/v1/projects", headers=as_user(org, user))
            assert response.status_code == 401, response.text

    def test_lists_hold_only_the_callers_rows(self, a: Holdings, b: Holdings) -> None:
        for mine, theirs in ((a, b), (b, a)):
            tenant = mine.tenant
            foreign = _all_ids(theirs)
            listed = {
                "projects": _ids(tenant, "/projects"),
                "members": _ids(tenant, "/members", "user_id"),
                "ontologies": _ids(tenant, "/ontologies"),
                "datasets": _ids(tenant, "/datasets"),
                "tasks": _ids(tenant, f"/projects/{mine.project}/tasks"),
                "items": _ids(tenant, f"/datasets/{mine.dataset}/items"),
                "my tasks": _ids(tenant, "/me/tasks"),
                "api keys": _ids(tenant, "/api-keys"),
            }
            for name, ids in listed.items():
                assert not ids & foreign, name
            assert listed["projects"] == {mine.project}
            assert listed["members"] == {str(tenant.admin_id), mine.annotator, mine.reviewer}
            assert listed["ontologies"] == {mine.ontology}
            assert listed["datasets"] == {mine.dataset}
            assert listed["tasks"] == mine.tasks
            assert listed["api keys"] == {mine.api_key}
            annotator_view = tenant.ok("GET", "/me/tasks", uuid.UUID(mine.annotator))["items"]
            assert [t["id"] for t in annotator_view] == [mine.task]
