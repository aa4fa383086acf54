"""``POST /projects/{id}/tasks/next`` under a crowd: many annotators asking at the same moment each get
a different task, and when work runs out the rest get ``{"task": null}`` — never someone else's task.

The members are created through the API like any other; the calls then go out together on one
``httpx.AsyncClient`` so they reach the api (and its ``FOR UPDATE SKIP LOCKED`` query) concurrently.
Also here: updates racing on one versioned row, whose losers must be told to retry, not get a 500.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack


def crowd(tenant: Tenant, project: str, size: int) -> list[uuid.UUID]:
    """``size`` new org members, each an annotator of ``project``."""
    annotators = [tenant.member("member", f"annotator-{i}-{uuid.uuid4().hex[:6]}") for i in range(size)]
    for user_id in annotators:
        tenant.join(project, user_id, "annotator")
    return annotators


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


async def send_together(api_url: str, stack: Stack, calls: list[Call]) -> list[httpx.Response]:
    """Sends every call at once, each on its own connection; the answers in the calls' order."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=api_url, verify=stack.tls, timeout=60, limits=limits) as client:
        # Open the connections first, so the TLS handshakes do not spread the real calls out in time.
        await asyncio.gather(*(client.get("/health/live") for _ in calls))
        return await asyncio.gather(
            *(
                client.request(call.method, f"/api/v1{call.path}", headers=call.headers, json=call.body)
                for call in calls
            )
        )


async def take_next_together(
    tenant: Tenant, api_url: str, stack: Stack, project: str, callers: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any] | None]:
    """Every caller asks for the next task at once; returns the task each one got."""
    path = f"/projects/{project}/tasks/next"
    calls = [Call("POST", path, tenant.headers(user), {}) for user in callers]
    responses = await send_together(api_url, stack, calls)
    for response in responses:
        assert response.status_code in {200, 201}, (response.status_code, response.text)
    return {user: response.json()["task"] for user, response in zip(callers, responses, strict=True)}


def assignments(tenant: Tenant, project: str) -> dict[str, str | None]:
    """Task id → assignee, as the api has them now (the org admin sees every task)."""
    page = tenant.ok("GET", f"/projects/{project}/tasks", params={"limit": 200})
    assert page["next_cursor"] is None
    return {task["id"]: task["assignee_id"] for task in page["items"]}


def check_handed_out_once(
    got: dict[uuid.UUID, dict[str, Any] | None], now: dict[str, str | None], expected: int
) -> None:
    taken = {user: task for user, task in got.items() if task is not None}
    assert len(taken) == expected
    task_ids = [task["id"] for task in taken.values()]
    assert len(set(task_ids)) == len(task_ids), "a task was handed to two callers"
    for user, task in taken.items():
        assert task["assignee_id"] == str(user)  # the answer names its caller...
        assert now[task["id"]] == str(user)  # ...and so does the stored task
    # Nothing was assigned that no caller was told about.
    assert {task_id for task_id, assignee in now.items() if assignee is not None} == set(task_ids)


class TestNextTaskConcurrency:
    @pytest.mark.timeout(300)
    async def test_fifty_annotators_get_fifty_different_tasks(
        self, api_url: str, stack: Stack, api: httpx.Client
    ) -> None:
        tenant = await asyncio.to_thread(Tenant.create, api)
        project, _ = await asyncio.to_thread(tenant.project_with_items, 60)
        annotators = await asyncio.to_thread(crowd, tenant, project, 50)

        got = await take_next_together(tenant, api_url, stack, project, annotators)

        now = await asyncio.to_thread(assignments, tenant, project)
        assert len(now) == 60
        check_handed_out_once(got, now, expected=50)
        # Asking again gives each annotator the task they already hold, not a second one.
        again = await take_next_together(tenant, api_url, stack, project, annotators[:10])
        assert {user: task["id"] for user, task in again.items() if task} == {
            user: got[user]["id"]
            for user in annotators[:10]
            if got[user]  # type: ignore[index]
        }

    @pytest.mark.timeout(300)
    async def test_when_work_runs_out_the_rest_get_none(
        self, api_url: str, stack: Stack, api: httpx.Client
    ) -> None:
        tenant = await asyncio.to_thread(Tenant.create, api)
        project, _ = await asyncio.to_thread(tenant.project_with_items, 10)
        annotators = await asyncio.to_thread(crowd, tenant, project, 30)

        got = await take_next_together(tenant, api_url, stack, project, annotators)

        now = await asyncio.to_thread(assignments, tenant, project)
        assert len(now) == 10
        check_handed_out_once(got, now, expected=10)
        assert sum(task is None for task in got.values()) == 20


class TestRacingUpdates:
    @pytest.mark.timeout(120)
    async def test_updates_racing_on_one_row_lose_with_412_not_500(
        self, api_url: str, stack: Stack, api: httpx.Client
    ) -> None:
        """Twenty updates of one project at once, each naming any version (If-Match: *): those that
        lose the race on the row's version are told to read again (412), never a server error."""
        tenant = await asyncio.to_thread(Tenant.create, api)
        project, _ = await asyncio.to_thread(tenant.project_with_items, 1)
        headers = tenant.headers() | {"If-Match": "*"}
        calls = [Call("PATCH", f"/projects/{project}", headers, {"description": f"d{i}"}) for i in range(20)]

        responses = await send_together(api_url, stack, calls)

        statuses = [response.status_code for response in responses]
        assert set(statuses) <= {200, 412}, [r.text for r in responses if r.status_code not in {200, 412}]
        assert 200 in statuses
        final = await asyncio.to_thread(tenant.ok, "GET", f"/projects/{project}")
        assert final["version"] == 1 + statuses.count(200)
