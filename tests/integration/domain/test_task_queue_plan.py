"""``tasks/next`` walks the free tasks of its queue in order and stops at the first, however many the
project holds and whatever PostgreSQL's statistics say of them (migration 0012). It had read and
sorted all of a project's open tasks for every take: 1 ms for 2,000, tens of milliseconds for
100,000, for each annotator's every task."""

from __future__ import annotations

import uuid

import pytest

from enclave.db.repositories.tasks import _TAKE
from enclave.domain.roles import TaskStage
from tests.integration.domain.world import Tenant, explained, plan_nodes, sql_as_tenant

#: Open tasks in the project: a take that read them all would read this many.
OPEN_TASKS = 400


def _named(statement: str) -> str:
    """The raw statement (``$n`` parameters, for asyncpg) with the named ones ``sql_as_tenant`` binds."""
    return statement.replace("$1", ":user").replace("$2", ":org").replace("$3", ":project")


@pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
def test_a_take_reads_one_free_task_not_the_project(tenant: Tenant, stage: TaskStage) -> None:
    project, _ = tenant.project_with_items(OPEN_TASKS)
    org, project_id = tenant.org_id, uuid.UUID(project)
    if stage is TaskStage.REVIEW:  # every task waiting for review, annotated by someone else
        annotator = tenant.member("member")
        sql_as_tenant(
            org,
            "UPDATE tasks SET stage = 'review', assignee_id = :a WHERE project_id = :p",
            a=annotator,
            p=project_id,
        )
    _, free = _TAKE[stage]
    plan = explained(org, _named(free), user=tenant.admin_id, org=org, project=project_id)
    nodes = list(plan_nodes(plan))
    shape = [(n["Node Type"], n.get("Index Name"), n["Actual Rows"], n.get("Actual Loops")) for n in nodes]
    assert plan["Actual Rows"] == 1, "the take found no free task"
    assert not [n for n in nodes if "Sort" in n["Node Type"]], f"the take sorted the queue: {shape}"
    scans = [n for n in nodes if "Scan" in n["Node Type"]]
    assert scans
    assert all(n["Actual Rows"] * n.get("Actual Loops", 1) <= 2 for n in scans), shape
