"""Review sampling through the api: at 30 % of 1,000 first-time submissions, 300 ± 1 go to review
and the rest are done at once; a second project with the same seed, given the same submissions in
the same order, reviews the same items again — the very positions ``enclave.tasks.sampling``
names — and a project with another seed reviews others."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from enclave.tasks.sampling import selected_for_review
from tests.integration.domain.world import BOX, Tenant

pytestmark = pytest.mark.timeout(900)

TASKS = 1000
SEED = "rerun-me-0001"


def reviewed_items(
    tenant: Tenant, project: str, dataset: str, annotator: uuid.UUID
) -> tuple[list[str], list[str]]:
    """Submits one box to every task of ``project``, in the order of its items' names, as
    ``annotator`` (each task assigned to them by the admin first); returns the items in submission
    order and those whose task went to review."""
    items = {item["id"]: item["name"] for item in pages(tenant, f"/datasets/{dataset}/items")}
    tasks = sorted(pages(tenant, f"/projects/{project}/tasks"), key=lambda t: items[t["data_item_id"]])
    assert len(tasks) == TASKS
    order, reviewed = [], []
    assign = {"assignee_id": str(annotator)}
    for task in tasks:
        tenant.ok("PATCH", f"/tasks/{task['id']}", json=assign, headers={"If-Match": "*"})
        tenant.ok("POST", f"/tasks/{task['id']}/annotations", annotator, json={"payload": BOX})
        order.append(items[task["data_item_id"]])
    for task in pages(tenant, f"/projects/{project}/tasks", stage="review"):
        reviewed.append(items[task["data_item_id"]])
    done = pages(tenant, f"/projects/{project}/tasks", stage="done")
    assert len(done) + len(reviewed) == TASKS, "every submission went to review or was done"
    return order, reviewed


def pages(tenant: Tenant, path: str, **query: str) -> list[dict[str, Any]]:
    """Every row of a paged list."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **query} | ({"cursor": cursor} if cursor else {})
        page = tenant.ok("GET", path, params=params)
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def sampled_project(tenant: Tenant, annotator: uuid.UUID, seed: str) -> tuple[str, str]:
    """A project of ``TASKS`` tasks that reviews 30 % of them, with ``seed``; and its dataset."""
    project, dataset = tenant.project_with_items(TASKS)
    tenant.join(project, annotator, "annotator")
    workflow = tenant.set_workflow(project, review_sample_percent=30, sampling_seed=seed)
    assert (workflow["review_sample_percent"], workflow["sampling_seed"]) == (30, seed)
    return project, dataset


class TestReviewSampling:
    def test_thirty_percent_of_a_thousand_and_the_same_set_on_a_rerun(self, api: httpx.Client) -> None:
        tenant = Tenant.create(api)
        annotator = tenant.member("member")

        order, reviewed = reviewed_items(tenant, *sampled_project(tenant, annotator, SEED), annotator)
        assert 299 <= len(reviewed) <= 301, len(reviewed)
        # Exactly the positions the sample's rule names for this seed, in this submission order.
        expected = {name for n, name in enumerate(order) if selected_for_review(SEED, 30, n)}
        assert set(reviewed) == expected

        rerun_order, rerun_reviewed = reviewed_items(
            tenant, *sampled_project(tenant, annotator, SEED), annotator
        )
        assert rerun_order == order  # the same items (by name), submitted in the same order
        assert set(rerun_reviewed) == set(reviewed)

        other_seed = {name for n, name in enumerate(order) if selected_for_review("another seed", 30, n)}
        assert other_seed != expected
