"""The queues of ``tasks/next``: a claim runs out after the project's lease and the task goes to the
next annotator (and the first may no longer submit it); a manager's assignment never runs out and is
handed only to its assignee; work comes by priority, then age; reviewers take from their own queue."""

from __future__ import annotations

import asyncio
import time

from tests.integration.domain.world import BOX, Tenant, audited


class TestLeases:
    def test_an_expired_claim_is_handed_to_the_next_annotator(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        gone_home, next_one = tenant.member("member"), tenant.member("member")
        tenant.join(project, gone_home, "annotator")
        tenant.join(project, next_one, "annotator")
        assert tenant.set_workflow(project, claim_lease_seconds=1)["claim_lease_seconds"] == 1

        held = tenant.take(project, gone_home)
        assert held is not None
        assert tenant.take(project, next_one) is None  # held, and the lease still runs
        time.sleep(1.5)
        taken = tenant.take(project, next_one)
        assert taken is not None
        assert (taken["id"], taken["assignee_id"]) == (held["id"], str(next_one))
        assert taken["version"] == held["version"] + 1  # a new holder: a new ETag

        late = tenant.call("POST", f"/tasks/{held['id']}/annotations", gone_home, json={"payload": BOX})
        assert late.status_code == 403, late.text
        assert (
            tenant.ok("POST", f"/tasks/{held['id']}/annotations", next_one, json={"payload": BOX})["version"]
            == 1
        )
        assert asyncio.run(audited(tenant, "task:task:take", f"task:{held['id']}")) == 2

    def test_taking_ones_own_task_again_renews_the_lease(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        first = tenant.take(project, annotator)
        again = tenant.take(project, annotator)
        assert first is not None
        assert again is not None
        assert again["id"] == first["id"]
        assert again["claimed_until"] > first["claimed_until"]
        assert again["version"] == first["version"]  # the same holder: the same ETag

    def test_a_managers_assignment_does_not_lapse_and_goes_only_to_its_assignee(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        assignee, other = tenant.member("member"), tenant.member("member")
        tenant.join(project, assignee, "annotator")
        tenant.join(project, other, "annotator")
        tenant.set_workflow(project, claim_lease_seconds=1)
        task = tenant.ok("GET", f"/projects/{project}/tasks")["items"][0]
        assigned = tenant.ok(
            "PATCH", f"/tasks/{task['id']}", json={"assignee_id": str(assignee)}, headers={"If-Match": "*"}
        )
        assert assigned["claimed_until"] is None
        time.sleep(1.5)
        assert tenant.take(project, other) is None
        mine = tenant.take(project, assignee)
        assert mine is not None
        assert (mine["id"], mine["claimed_until"]) == (task["id"], None)


class TestOrder:
    def test_priority_first_then_the_oldest(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(3)
        annotators = [tenant.member("member") for _ in range(3)]
        for user in annotators:
            tenant.join(project, user, "annotator")
        tasks = tenant.ok("GET", f"/projects/{project}/tasks")["items"]  # in creation order
        urgent = tasks[2]
        tenant.ok("PATCH", f"/tasks/{urgent['id']}", json={"priority": 5}, headers={"If-Match": "*"})
        handed = [tenant.take(project, user) for user in annotators]
        assert [t["id"] for t in handed if t] == [urgent["id"], tasks[0]["id"], tasks[1]["id"]]

    def test_reviewers_take_from_their_own_queue(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(2)
        annotator, reviewer = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")
        assert tenant.take(project, reviewer) is None  # a reviewer's queue: nothing submitted yet
        task = tenant.take(project, annotator)
        assert task is not None
        tenant.ok("POST", f"/tasks/{task['id']}/annotations", annotator, json={"payload": BOX})
        review = tenant.take(project, reviewer)
        assert review is not None
        assert (review["id"], review["stage"], review["reviewer_id"]) == (task["id"], "review", str(reviewer))
        assert review["claimed_until"] is not None
        refused = tenant.call("POST", f"/projects/{project}/tasks/next", annotator, json={"stage": "review"})
        assert refused.status_code == 403
