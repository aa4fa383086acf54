"""``GET /projects/{id}/export?format=jsonl``: the whole project as JSON lines, streamed, with each
task's current annotation (opened from its sealed form) and latest review; managers only; audited."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import msgspec
from sqlalchemy.dialects import postgresql

from enclave.projects.export import _statement
from tests.integration.domain.world import BOX, Tenant, sql_as_tenant

#: Tasks of the project whose export plan is read: enough that reading the organization's rows for
#: every task (what a bad plan does) is far above reading each task's own.
PLANNED_TASKS = 400


def trail_of(tenant: Tenant, action: str) -> list[tuple[str, str]]:
    rows = sql_as_tenant(
        tenant.org_id, "SELECT target, outcome FROM audit_log WHERE action = :action", action=action
    )
    return [(str(r[0]), str(r[1])) for r in rows]


def rows_thrown_away(node: dict[str, Any]) -> float:
    """Rows a plan's nodes read and discarded by a filter, over all their loops (EXPLAIN shows the
    count per loop)."""
    own = float(node.get("Rows Removed by Filter", 0)) * float(node.get("Actual Loops", 1))
    return own + sum(rows_thrown_away(child) for child in node.get("Plans", []))


def export(tenant: Tenant, project: str, user: object = None) -> list[dict[str, object]]:
    response = tenant.call("GET", f"/projects/{project}/export?format=jsonl", user)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jsonl")
    assert response.headers["cache-control"] == "private, no-store"
    assert f'filename="project-{project}.jsonl"' in response.headers["content-disposition"]
    return [msgspec.json.decode(line) for line in response.content.splitlines()]


class TestProjectExport:
    def test_every_task_with_its_current_annotation_and_review(self, tenant: Tenant) -> None:
        project, dataset = tenant.project_with_items(3)
        annotator, reviewer = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})
        tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
        tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "reject"})
        second = {"objects": [{**BOX["objects"][0], "x": 77.5}], "classifications": {}}
        tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": second})
        tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "approve"})

        lines = export(tenant, project)
        assert len(lines) == 3
        assert sorted(line["item"]["name"] for line in lines) == ["img-0.png", "img-1.png", "img-2.png"]  # type: ignore[index]
        assert {line["item"]["dataset_id"] for line in lines} == {dataset}  # type: ignore[index]
        (done,) = [line for line in lines if line["task"]["id"] == task]  # type: ignore[index]
        annotation = done["annotation"]
        assert annotation["version"] == 2  # type: ignore[index]
        assert annotation["payload"] == second  # type: ignore[index]
        assert annotation["author_id"] == str(annotator)  # type: ignore[index]
        assert done["review"]["decision"] == "approve"  # type: ignore[index]
        assert done["task"]["stage"] == "done"  # type: ignore[index]
        untouched = [line for line in lines if line["task"]["id"] != task]  # type: ignore[index]
        assert all(line["annotation"] is None and line["review"] is None for line in untouched)

    def test_a_large_project_streams_in_batches(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(600)  # more than one cursor batch (500)
        lines = export(tenant, project)
        assert len(lines) == 600
        assert len({line["task"]["id"] for line in lines}) == 600  # type: ignore[index]

    def test_an_export_is_audited_and_annotators_may_not_export(
        self, tenant: Tenant, audit_service: object
    ) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        refused = tenant.call("GET", f"/projects/{project}/export?format=jsonl", annotator)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        export(tenant, project)
        deadline = time.monotonic() + 30
        while not (recorded := trail_of(tenant, "project:project:export")):
            assert time.monotonic() < deadline, "the export was not recorded"
            time.sleep(0.1)
        assert recorded == [(f"project:{project}", "success")]

    def test_an_unknown_format_is_a_clear_400(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        response = tenant.call("GET", f"/projects/{project}/export?format=xml")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"

    def test_each_task_s_rows_are_found_by_index_however_new_the_organization(self, tenant: Tenant) -> None:
        """Under row-level security every lookup also names the organization. For an organization
        PostgreSQL's statistics have not counted yet, an index on the organization alone looked as
        good as the lookup's own, and the export read all the organization's items, versions and
        reviews for each task: quadratic (0.24 s for 2,000 tasks instead of 0.01 s, growing with
        the project). Migration 0011."""
        project, _ = tenant.project_with_items(PLANNED_TASKS)
        org = tenant.org_id
        sql_as_tenant(
            org,
            "INSERT INTO annotation_versions (id, organization_id, task_id, version, author_id,"
            " ontology_version, payload) SELECT gen_random_uuid(), organization_id, id, 1, :author, 1,"
            " 'x'::bytea FROM tasks WHERE project_id = :project",
            author=tenant.admin_id,
            project=uuid.UUID(project),
        )
        sql_as_tenant(
            org,
            "INSERT INTO reviews (id, organization_id, task_id, annotation_version_id, reviewer_id,"
            " decision, comment) SELECT gen_random_uuid(), organization_id, task_id, id, :reviewer,"
            " 'approve', 'x'::bytea FROM annotation_versions WHERE task_id IN"
            " (SELECT id FROM tasks WHERE project_id = :project)",
            reviewer=tenant.admin_id,
            project=uuid.UUID(project),
        )
        statement = _statement(uuid.UUID(project)).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        ((explained,),) = sql_as_tenant(org, f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
        assert plan["Actual Rows"] == PLANNED_TASKS
        assert rows_thrown_away(plan) < PLANNED_TASKS
