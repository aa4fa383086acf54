"""``GET /projects/{id}/export?format=jsonl``: the whole project as JSON lines, streamed, with each
task's current annotation (opened from its sealed form) and latest review; managers only; audited."""

from __future__ import annotations

import time

import msgspec

from tests.integration.domain.world import BOX, Tenant, sql_as_tenant


def trail_of(tenant: Tenant, action: str) -> list[tuple[str, str]]:
    rows = sql_as_tenant(
        tenant.org_id, "SELECT target, outcome FROM audit_log WHERE action = :action", action=action
    )
    return [(str(r[0]), str(r[1])) for r in rows]


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
