"""Review with rejection: the reviewer's comment goes back with the task to its annotator, who reads
it, fixes the work and submits again; every move is in the audit trail."""

from __future__ import annotations

import asyncio

from tests.integration.domain.world import BOX, Tenant, audited

FIXED = {"objects": [{"kind": "bbox", "label": "car", "x": 2, "y": 2, "width": 28, "height": 38}]}


class TestReviewWithRejection:
    def test_rejected_work_returns_to_its_annotator_with_the_comment(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator, other_annotator = tenant.member("member"), tenant.member("member")
        reviewer = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, other_annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")

        task = tenant.take(project, annotator)
        assert task is not None
        assert task["claimed_until"] is not None  # taken from the queue: on a lease
        tenant.ok("POST", f"/tasks/{task['id']}/annotations", annotator, json={"payload": BOX})
        assert tenant.take(project, reviewer, "review")["id"] == task["id"]  # type: ignore[index]
        tenant.ok(
            "POST",
            f"/tasks/{task['id']}/reviews",
            reviewer,
            json={"decision": "reject", "comment": "The box misses the mirror."},
        )

        # Back with its annotator, held by them (no lease runs out on returned work)...
        returned = tenant.ok("GET", f"/tasks/{task['id']}", annotator)
        assert (returned["stage"], returned["assignee_id"]) == ("annotate", str(annotator))
        assert returned["claimed_until"] is None
        # ...who reads why, while nobody else on the team may.
        reviews = tenant.ok("GET", f"/tasks/{task['id']}/reviews", annotator)["items"]
        assert [(r["decision"], r["comment"]) for r in reviews] == [("reject", "The box misses the mirror.")]
        assert tenant.call("GET", f"/tasks/{task['id']}/reviews", other_annotator).status_code == 403
        # The other annotator's queue does not offer it; its own annotator's does.
        assert tenant.take(project, other_annotator) is None
        assert tenant.take(project, annotator)["id"] == task["id"]  # type: ignore[index]

        second = tenant.ok("POST", f"/tasks/{task['id']}/annotations", annotator, json={"payload": FIXED})
        assert second["version"] == 2
        # A resubmission goes back to review: to the reviewer who asked for the fix.
        assert tenant.ok("GET", f"/tasks/{task['id']}")["stage"] == "review"
        assert tenant.take(project, reviewer, "review")["id"] == task["id"]  # type: ignore[index]
        approved = tenant.ok("POST", f"/tasks/{task['id']}/reviews", reviewer, json={"decision": "approve"})
        assert approved["annotation_version_id"] == second["id"]
        assert tenant.ok("GET", f"/tasks/{task['id']}")["stage"] == "done"

        target = f"task:{task['id']}"
        assert asyncio.run(audited(tenant, "task:annotation:submit", target)) == 2
        assert asyncio.run(audited(tenant, "task:review:decide", target)) == 2
        assert asyncio.run(audited(tenant, "task:task:take", target)) == 4

    def test_a_reviewer_cannot_pick_or_merge_outside_consensus(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator, reviewer = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")
        task = tenant.take(project, annotator)
        assert task is not None
        version = tenant.ok("POST", f"/tasks/{task['id']}/annotations", annotator, json={"payload": BOX})
        tenant.take(project, reviewer, "review")
        picked = tenant.call(
            "POST",
            f"/tasks/{task['id']}/reviews",
            reviewer,
            json={"decision": "approve", "annotation_version_id": version["id"]},
        )
        assert picked.status_code == 400, picked.text
        assert picked.headers["content-type"].startswith("application/problem+json")
        assert tenant.ok("GET", f"/tasks/{task['id']}")["stage"] == "review"
