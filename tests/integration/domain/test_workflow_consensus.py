"""Consensus through the api, k = 3: three different annotators label each task, never one twice;
a task they agree on is done with the best-agreeing submission as its result, a task they disagree
on goes to review, where a reviewer who did not annotate it picks one submission or merges them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.integration.domain.world import BOX, Tenant, audited

ELSEWHERE = {"objects": [{"kind": "bbox", "label": "car", "x": 500, "y": 500, "width": 30, "height": 40}]}
MERGED = {"objects": [{"kind": "bbox", "label": "car", "x": 2, "y": 2, "width": 30, "height": 40}]}


class Team:
    """A consensus project (k = 3, threshold 0.8) with three tasks, four annotators, one reviewer."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.project, _ = tenant.project_with_items(3)
        self.annotators = [tenant.member("member") for _ in range(4)]
        self.reviewer = tenant.member("member")
        for user in self.annotators:
            tenant.join(self.project, user, "annotator")
        tenant.join(self.project, self.reviewer, "reviewer")
        workflow = tenant.set_workflow(self.project, consensus_annotators=3, consensus_threshold=0.8)
        assert workflow["consensus_annotators"] == 3

    def take(self, user: uuid.UUID) -> dict[str, Any] | None:
        return self.tenant.take(self.project, user)

    def submit(self, task_id: str, user: uuid.UUID, payload: dict[str, Any]) -> dict[str, Any]:
        version: dict[str, Any] = self.tenant.ok(
            "POST", f"/tasks/{task_id}/annotations", user, json={"payload": payload}
        )
        return version

    def task(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self.tenant.ok("GET", f"/tasks/{task_id}")
        return task


class TestConsensus:
    def test_three_annotators_agreement_completes_and_disagreement_goes_to_review(
        self, tenant: Tenant
    ) -> None:
        team = Team(tenant)
        first, second, third, fourth = team.annotators

        # Each task collects three submissions before a new task is started.
        agreed = team.take(first)
        assert agreed is not None
        versions = [team.submit(agreed["id"], first, BOX)]
        assert team.task(agreed["id"])["stage"] == "annotate"  # 1 of 3: waiting for others
        # Whoever submitted is never handed the task again, nor may they submit to it twice.
        mine_next = team.take(first)
        assert mine_next is not None
        assert mine_next["id"] != agreed["id"]
        again = tenant.call("POST", f"/tasks/{agreed['id']}/annotations", first, json={"payload": BOX})
        assert again.status_code == 409, again.text
        for user in (second, third):
            taken = team.take(user)
            assert taken is not None
            assert taken["id"] == agreed["id"]  # the task with more submissions first
            # Blind: the others' submissions are not shown while the round collects.
            assert tenant.ok("GET", f"/tasks/{agreed['id']}/annotations", user)["items"] == []
            versions.append(team.submit(agreed["id"], user, BOX))
        done = team.task(agreed["id"])
        assert (done["stage"], done["consensus_submissions"], done["agreement"]) == ("done", 3, 1.0)
        assert done["result_version_id"] == versions[0]["id"]  # all agree: the earliest is best

        # The first annotator's second task: the others disagree with them.
        disputed = mine_next
        team.submit(disputed["id"], first, BOX)
        for user, payload in ((second, ELSEWHERE), (fourth, ELSEWHERE)):
            taken = team.take(user)
            assert taken is not None
            assert taken["id"] == disputed["id"]
            team.submit(disputed["id"], user, payload)
        in_review = team.task(disputed["id"])
        assert in_review["stage"] == "review"
        assert in_review["agreement"] < 0.8
        assert in_review["result_version_id"] is None

        # The reviewer takes it from their own queue; rejecting is not how consensus is resolved.
        assert tenant.take(team.project, team.reviewer, "review")["id"] == disputed["id"]  # type: ignore[index]
        history = tenant.ok("GET", f"/tasks/{disputed['id']}/annotations", team.reviewer)["items"]
        assert len(history) == 3
        rejected = tenant.call(
            "POST", f"/tasks/{disputed['id']}/reviews", team.reviewer, json={"decision": "reject"}
        )
        assert rejected.status_code == 409, rejected.text
        picked = history[1]["id"]
        review = tenant.ok(
            "POST",
            f"/tasks/{disputed['id']}/reviews",
            team.reviewer,
            json={"decision": "approve", "annotation_version_id": picked, "comment": "two of three"},
        )
        assert review["annotation_version_id"] == picked
        resolved = team.task(disputed["id"])
        assert (resolved["stage"], resolved["result_version_id"]) == ("done", picked)
        assert asyncio.run(audited(tenant, "task:review:decide", f"task:{disputed['id']}")) == 1
        assert asyncio.run(audited(tenant, "task:annotation:submit", f"task:{disputed['id']}")) == 3

    def test_a_reviewer_merges_the_submissions(self, tenant: Tenant) -> None:
        team = Team(tenant)
        task = team.take(team.annotators[0])
        assert task is not None
        for user, payload in zip(team.annotators[:3], (BOX, ELSEWHERE, BOX), strict=True):
            if user != team.annotators[0]:
                assert team.take(user)["id"] == task["id"]  # type: ignore[index]
            team.submit(task["id"], user, payload)
        assert team.task(task["id"])["stage"] == "review"
        assert tenant.take(team.project, team.reviewer, "review")["id"] == task["id"]  # type: ignore[index]

        neither = tenant.call(
            "POST", f"/tasks/{task['id']}/reviews", team.reviewer, json={"decision": "approve"}
        )
        assert neither.status_code == 400, neither.text
        outside = tenant.call(
            "POST",
            f"/tasks/{task['id']}/reviews",
            team.reviewer,
            json={"decision": "approve", "annotation_version_id": str(uuid.uuid4())},
        )
        assert outside.status_code == 400, outside.text
        merged = tenant.ok(
            "POST",
            f"/tasks/{task['id']}/reviews",
            team.reviewer,
            json={"decision": "approve", "payload": MERGED},
        )
        history = tenant.ok("GET", f"/tasks/{task['id']}/annotations")["items"]
        assert [v["author_id"] for v in history][-1] == str(team.reviewer)  # the merge is the reviewer's
        assert history[-1]["payload"]["objects"] == MERGED["objects"]
        assert merged["annotation_version_id"] == history[-1]["id"]
        resolved = team.task(task["id"])
        assert (resolved["stage"], resolved["result_version_id"]) == ("done", history[-1]["id"])

    def test_a_reviewer_who_annotated_the_task_is_not_handed_it(self, tenant: Tenant) -> None:
        team = Team(tenant)
        both = tenant.member("member")
        tenant.join(team.project, both, "annotator_reviewer")
        task = team.take(both)
        assert task is not None
        team.submit(task["id"], both, BOX)
        for user, payload in zip(team.annotators[:2], (ELSEWHERE, BOX), strict=True):
            assert team.take(user)["id"] == task["id"]  # type: ignore[index]
            team.submit(task["id"], user, payload)
        assert team.task(task["id"])["stage"] == "review"
        assert tenant.take(team.project, both, "review") is None
