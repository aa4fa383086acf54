"""Changing a project's workflow while tasks are in flight (``PUT /projects/{id}/workflow``): the
change applies to submissions made after it. Tasks in review stay in review and are still decided;
done tasks stay done; a consensus round in progress finishes at the size it began with. The change
needs the project's ETag, names one permission and is audited."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.domain.world import BOX, Tenant, audited


def submit(tenant: Tenant, project: str, user: uuid.UUID) -> str:
    task = tenant.take(project, user)
    assert task is not None
    tenant.ok("POST", f"/tasks/{task['id']}/annotations", user, json={"payload": BOX})
    return str(task["id"])


def stage(tenant: Tenant, task_id: str) -> str:
    return str(tenant.ok("GET", f"/tasks/{task_id}")["stage"])


class TestWorkflowChanges:
    def test_turning_review_off_moves_nothing_in_review(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(3)
        annotator, reviewer = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")
        reviewed = submit(tenant, project, annotator)
        assert stage(tenant, reviewed) == "review"

        tenant.set_workflow(project, review_required=False)
        after = submit(tenant, project, annotator)
        assert stage(tenant, after) == "done"  # submitted after the change: no review
        assert stage(tenant, reviewed) == "review"  # in review before it: stays there...
        assert tenant.take(project, reviewer, "review")["id"] == reviewed  # type: ignore[index]
        tenant.ok("POST", f"/tasks/{reviewed}/reviews", reviewer, json={"decision": "approve"})
        assert stage(tenant, reviewed) == "done"  # ...and is still decided

        tenant.set_workflow(project, review_required=True)
        assert stage(tenant, after) == "done"  # turning review on reopens nothing
        assert stage(tenant, submit(tenant, project, annotator)) == "review"

    def test_a_consensus_round_keeps_the_size_it_began_with(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(2)
        annotators = [tenant.member("member") for _ in range(3)]
        for user in annotators:
            tenant.join(project, user, "annotator")
        tenant.set_workflow(project, consensus_annotators=2, consensus_threshold=0.5)
        started = submit(tenant, project, annotators[0])
        assert tenant.ok("GET", f"/tasks/{started}")["consensus_target"] == 2

        tenant.set_workflow(project, consensus_annotators=1, review_required=False)
        # The round in progress still needs its second annotator, and a fresh task needs one.
        assert stage(tenant, started) == "annotate"
        assert submit(tenant, project, annotators[1]) == started
        finished = tenant.ok("GET", f"/tasks/{started}")
        assert (finished["stage"], finished["consensus_submissions"], finished["agreement"]) == (
            "done",
            2,
            1.0,
        )
        fresh = submit(tenant, project, annotators[2])
        assert fresh != started
        assert tenant.ok("GET", f"/tasks/{fresh}")["consensus_target"] is None
        assert stage(tenant, fresh) == "done"

    def test_the_change_needs_the_current_etag_and_the_right_role(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator, manager = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, manager, "team_manager")
        path = f"/projects/{project}/workflow"
        read = tenant.call("GET", path)
        etag = read.headers["ETag"]
        assert read.json()["review_sample_percent"] == 100
        assert tenant.call("PUT", path, json={"review_sample_percent": 50}).status_code == 428
        assert (
            tenant.call(
                "PUT", path, json={"review_sample_percent": 500}, headers={"If-Match": etag}
            ).status_code
            == 400
        )
        # Those who run the project read it (its seed too); only a project's admins change it.
        assert tenant.call("GET", path, manager).status_code == 200
        assert tenant.call("GET", path, annotator).status_code == 403
        assert tenant.call("PUT", path, manager, json={}, headers={"If-Match": etag}).status_code == 403
        changed = tenant.call("PUT", path, json={"review_sample_percent": 50}, headers={"If-Match": etag})
        assert changed.status_code == 200, changed.text
        assert changed.json()["sampling_seed"] == read.json()["sampling_seed"]  # kept unless given
        stale = tenant.call("PUT", path, json={"review_sample_percent": 20}, headers={"If-Match": etag})
        assert stale.status_code == 412
        assert asyncio.run(audited(tenant, "project:workflow:update", f"project:{project}")) == 1
