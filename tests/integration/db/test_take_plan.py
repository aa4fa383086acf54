"""``tasks/next`` walks its stage's queues in order and stops at the first task it may take, whatever
the planner's statistics say: read from the plans PostgreSQL executed inside the take's functions
(``auto_explain``, nested statements), as the api's role under row-level security, on a database made
for this test and migrated from nothing, as a fresh clone's CI has it: once with no statistics
gathered, once right after ``ANALYZE`` (a fresh clone's CI once found the caller's own task by
walking the project's queue, with whatever statistics autovacuum had gathered by then).

Made as the api makes it (a real api process on that database, test-mode callers): 2,000 tasks in one
project, the first three in the queue's order held by other annotators. A take first looks for the
caller's own work: an index walk of ``ix_tasks_mine_<stage>`` under the caller and project, which
reads nothing of other people's (a bitmap of the project's whole queue was what the planner chose on
fresh statistics before). Without any, it takes free work: a walk of ``ix_tasks_take_<stage>`` that
read four rows (three passed over, one taken). No sort and no bitmap anywhere in either plan.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.domain.world import BOX, Tenant
from tests.integration.stack import Stack
from tests.support.api_process import running_api
from tests.support.superuser import superuser

pytestmark = pytest.mark.stack

TASKS = 2000
HELD = 3
#: The take of each stage, as the repository calls it.
TAKES = {
    "annotate": "SELECT id FROM enclave_take_annotate($1, $2, $3)",
    "review": "SELECT id FROM enclave_take_review($1, $2, $3)",
}


async def _make_database(stack: Stack, name: str) -> None:
    """As ``scripts/lib/postgres.sh`` makes the application's database: owned by the schema owner,
    reached by the three roles only, its public schema the owner's."""
    admin = await superuser(stack, "postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}" OWNER enclave_owner')
        await admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        await admin.execute(
            f'GRANT CONNECT ON DATABASE "{name}" TO enclave_owner, enclave_api, enclave_audit'
        )
    finally:
        await admin.close()
    fresh = await superuser(stack, name)
    try:
        await fresh.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await fresh.execute("ALTER SCHEMA public OWNER TO enclave_owner")
        await fresh.execute("GRANT USAGE ON SCHEMA public TO enclave_api, enclave_audit")
    finally:
        await fresh.close()


async def _drop_database(stack: Stack, name: str) -> None:
    admin = await superuser(stack, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def fresh_database(migrated: Stack) -> Iterator[Stack]:
    """The stack, pointed at a database made and migrated for this module (dropped afterwards)."""
    name = f"enclave_plan_{uuid.uuid4().hex[:8]}"
    asyncio.run(_make_database(migrated, name))
    stack = Stack(migrated.env | {"ENCLAVE_DB_NAME": name})
    try:
        subprocess.run([sys.executable, "-m", "enclave.db.migrate"], check=True, env=os.environ | stack.env)
        yield stack
    finally:
        asyncio.run(_drop_database(migrated, name))


@pytest.fixture(scope="module")
def tenant(fresh_database: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenant]:
    log = tmp_path_factory.mktemp("api") / "api.log"
    saved = os.environ.get("ENCLAVE_DB_NAME")
    os.environ["ENCLAVE_DB_NAME"] = fresh_database.env["ENCLAVE_DB_NAME"]  # the test's own provisioning
    try:
        with (
            running_api(fresh_database, log, "test") as url,
            httpx.Client(base_url=url, verify=fresh_database.tls, timeout=120) as client,
        ):
            yield Tenant.create(client)
    finally:
        if saved is None:
            del os.environ["ENCLAVE_DB_NAME"]
        else:
            os.environ["ENCLAVE_DB_NAME"] = saved


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans") or ():
        yield from _nodes(child)


async def _executed_plans(
    stack: Stack, org: uuid.UUID, analyzed: bool, call: str, *args: Any
) -> list[dict[str, Any]]:
    """The plans of every statement ``call`` ran, as auto_explain saw them executed, as the api's
    role; ``analyzed``: with the tasks' statistics gathered first, as autovacuum would have."""
    connection = await superuser(stack, stack.env["ENCLAVE_DB_NAME"])
    notices: list[str] = []
    connection.add_log_listener(lambda _, message: notices.append(str(message.message)))
    try:
        if analyzed:
            await connection.execute("ANALYZE tasks")
        await connection.execute("LOAD 'auto_explain'")
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_analyze = on",
            "auto_explain.log_nested_statements = on",
            "auto_explain.log_format = json",
            "auto_explain.log_level = notice",
        ):
            await connection.execute(f"SET {setting}")
        await connection.execute(f"SET ROLE {stack.env['ENCLAVE_DB_USER']}")  # row-level security applies
        async with connection.transaction():
            await connection.execute("SELECT set_config('enclave.org_id', $1, true)", str(org))
            await connection.fetch(call, *args)
    finally:
        await connection.close()
    plans = []
    for notice in notices:
        _, found, text = notice.partition("plan:")
        if found:
            plans.append(json.loads(text)["Plan"])
    return plans


def _queue_held_at_its_head(tenant: Tenant, stage: str) -> tuple[str, uuid.UUID]:
    """A project of ``TASKS`` tasks whose first ``HELD`` in ``stage``'s queue others hold, and a
    member of it who holds nothing."""
    project, _ = tenant.project_with_items(TASKS)
    holders = [tenant.member("member") for _ in range(HELD)]
    me = tenant.member("member")
    for person in [*holders, me]:
        tenant.join(project, person, "annotator" if stage == "annotate" else "reviewer")
    if stage == "review":
        # Work waiting for review: one submission each by annotators who will not review it.
        for _ in range(HELD + 2):
            author = tenant.member("member")
            tenant.join(project, author, "annotator")
            task = tenant.take(project, author)
            assert task is not None
            tenant.ok("POST", f"/tasks/{task['id']}/annotations", author, json={"payload": BOX})
    for person in holders:  # the head of the queue, held by others
        assert tenant.take(project, person, stage) is not None
    return project, me


def _updates(plans: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The nodes of each UPDATE the take ran, in the order it ran them."""
    return [list(_nodes(plan)) for plan in plans if plan["Node Type"] == "ModifyTable"]


def _walk(nodes: list[dict[str, Any]], index: str) -> dict[str, Any]:
    """The one index walk of ``index`` in a plan with no sort and no bitmap."""
    kinds = [(n["Node Type"], n.get("Index Name")) for n in nodes]
    assert not [kind for kind, _ in kinds if "Sort" in kind], f"the take sorted the queue: {kinds}"
    assert not [kind for kind, _ in kinds if "Bitmap" in kind], f"the take read a bitmap: {kinds}"
    walks = [n for n in nodes if n.get("Index Name") == index]
    assert len(walks) == 1, kinds
    assert walks[0]["Node Type"] == "Index Scan", kinds
    return walks[0]


@pytest.mark.parametrize("analyzed", [False, True], ids=["no statistics", "analyzed"])
@pytest.mark.parametrize("stage", ["annotate", "review"])
def test_a_take_walks_its_stage_queue_and_stops_at_the_first_free_task(
    tenant: Tenant, fresh_database: Stack, stage: str, analyzed: bool
) -> None:
    project, me = _queue_held_at_its_head(tenant, stage)

    plans = asyncio.run(
        _executed_plans(
            fresh_database, tenant.org_id, analyzed, TAKES[stage], me, tenant.org_id, uuid.UUID(project)
        )
    )

    own, free = _updates(plans)
    mine = _walk(own, f"ix_tasks_mine_{stage}")
    assert mine["Actual Rows"] == 0  # the caller holds nothing...
    assert mine.get("Rows Removed by Filter", 0) == 0  # ...and nobody else's work was read to learn it
    assert own[0]["Actual Rows"] == 0
    walk = _walk(free, f"ix_tasks_take_{stage}")
    assert walk["Actual Rows"] == 1  # stopped at the first free task...
    assert walk.get("Rows Removed by Filter", 0) == HELD  # ...having passed over the held ones only
    assert free[0]["Actual Rows"] == 1


@pytest.mark.parametrize("analyzed", [False, True], ids=["no statistics", "analyzed"])
@pytest.mark.parametrize("stage", ["annotate", "review"])
def test_a_take_of_ones_own_work_reads_only_ones_own(
    tenant: Tenant, fresh_database: Stack, stage: str, analyzed: bool
) -> None:
    project, me = _queue_held_at_its_head(tenant, stage)
    held = tenant.take(project, me, stage)
    assert held is not None

    plans = asyncio.run(
        _executed_plans(
            fresh_database, tenant.org_id, analyzed, TAKES[stage], me, tenant.org_id, uuid.UUID(project)
        )
    )

    (own,) = _updates(plans)  # found: the free take never ran
    mine = _walk(own, f"ix_tasks_mine_{stage}")
    assert mine["Actual Rows"] == 1
    assert mine.get("Rows Removed by Filter", 0) == 0
    assert own[0]["Actual Rows"] == 1
