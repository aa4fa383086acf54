"""Drafts through the api: an annotator keeps unsent work on the server and reads it back; saving
again replaces it; submitting ends it; nobody else reads it — not a reviewer, not an admin, not the
annotator the task goes to next; a draft the ontology could never accept is refused and nothing is
kept; the saved draft is sealed at rest."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.domain.world import BOX, Tenant, audited, sql_as_tenant

EMPTY = {"payload": None, "saved_at": None}


def draft_of(tenant: Tenant, task: str, who: uuid.UUID | None = None) -> dict[str, object]:
    return tenant.ok("GET", f"/tasks/{task}/draft", who)


class TestDrafts:
    def test_kept_replaced_and_ended_by_submitting(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        assert draft_of(tenant, task, annotator) == EMPTY

        first = tenant.ok("PUT", f"/tasks/{task}/draft", annotator, json={"payload": BOX})
        assert first["payload"] == BOX | {"classifications": {}}
        assert draft_of(tenant, task, annotator) == first
        moved = {"objects": [BOX["objects"][0] | {"x": 77.5}]}
        second = tenant.ok("PUT", f"/tasks/{task}/draft", annotator, json={"payload": moved})
        assert draft_of(tenant, task, annotator)["payload"] == moved | {"classifications": {}}
        assert second["saved_at"] >= first["saved_at"]
        [(sealed,)] = sql_as_tenant(
            tenant.org_id, "SELECT payload FROM annotation_drafts WHERE task_id = :t", t=uuid.UUID(task)
        )
        assert b"77.5" not in bytes(sealed)
        assert asyncio.run(audited(tenant, "task:draft:save", f"task:{task}")) == 2

        tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": moved})
        assert sql_as_tenant(
            tenant.org_id, "SELECT count(*) FROM annotation_drafts WHERE task_id = :t", t=uuid.UUID(task)
        ) == [(0,)]

    def test_only_its_author_reads_it(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator, other = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, other, "annotator")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        tenant.ok("PUT", f"/tasks/{task}/draft", annotator, json={"payload": BOX})
        # The admin may see the task, but a draft is its author's alone.
        assert tenant.call("GET", f"/tasks/{task}/draft").status_code == 403
        assert tenant.call("GET", f"/tasks/{task}/draft", other).status_code == 403
        # Handed to another annotator, the task shows them no draft of the first one's.
        current = tenant.call("GET", f"/tasks/{task}")
        tenant.ok(
            "PATCH",
            f"/tasks/{task}",
            json={"assignee_id": str(other)},
            headers={"If-Match": current.headers["etag"]},
        )
        assert draft_of(tenant, task, other) == EMPTY
        assert tenant.call("GET", f"/tasks/{task}/draft", annotator).status_code == 403

    def test_a_draft_the_ontology_refuses_keeps_nothing(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        bad = {
            "objects": [{"kind": "bbox", "label": "no-such-label", "x": 1, "y": 1, "width": 2, "height": 2}]
        }
        response = tenant.call("PUT", f"/tasks/{task}/draft", annotator, json={"payload": bad})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert draft_of(tenant, task, annotator) == EMPTY
