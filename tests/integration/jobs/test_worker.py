"""Workers as processes: a worker killed in the middle of an export leaves no artifact, partial or
whole, and the job completes on another worker from the start; a cancelled job stops and keeps
nothing; a job no worker has taken yet ends at once when cancelled; a job whose workers keep dying is
given up after its third attempt, saying so."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from enclave.storage.objects import bucket_name
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.jobs.jobs import wait_for
from tests.integration.stack import Stack
from tests.support.api_process import stop_process
from tests.support.minio import raw_minio
from tests.support.worker_process import running_worker, start_worker

pytestmark = pytest.mark.stack

TASKS = 6000
#: Small batches: the export takes long enough to be caught in the middle.
SLOW = {"ENCLAVE_WORKER_BATCH_SIZE": "10"}
#: Smaller still: the cancel must land while the export runs.
SLOWER = {"ENCLAVE_WORKER_BATCH_SIZE": "2"}


@pytest.fixture(scope="module")
def tenant(api_url: str, stack: Stack) -> Iterator[Tenant]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=60) as client:
        yield Tenant.create(client)


@pytest.fixture(scope="module")
def project(tenant: Tenant) -> str:
    """A project of ``TASKS`` tasks (items by name only: an export of them reads every row)."""
    suffix = uuid.uuid4().hex[:6]
    ontology = tenant.ok(
        "POST",
        "/ontologies",
        json={"name": f"o-{suffix}", "definition": {"objects": [{"name": "car", "kind": "bbox"}]}},
    )
    project = tenant.ok("POST", "/projects", json={"name": f"p-{suffix}", "ontology_id": ontology["id"]})
    dataset = tenant.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "image"})
    for start in range(0, TASKS, 1000):
        batch = [{"name": f"img-{i:05}.png", "media_type": "image/png"} for i in range(start, start + 1000)]
        tenant.ok("POST", f"/datasets/{dataset['id']}/items", json={"items": batch})
    tenant.ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
    tenant.ok("POST", f"/projects/{project['id']}/tasks", json={})
    return str(project["id"])


def ask(tenant: Tenant, project: str) -> str:
    job = tenant.ok(
        "POST", f"/projects/{project}/exports", json={"format": "jsonl", "include_unfinished": True}
    )
    return str(job["id"])


def running_with_progress(tenant: Tenant, project: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = tenant.ok("GET", f"/projects/{project}/jobs/{job_id}")
        if job["state"] == "running" and job["progress"]["done"] > 0:
            return job
        assert job["state"] in {"queued", "running"}, job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def stored_objects(stack: Stack, tenant: Tenant, job_id: str) -> list[str]:
    client = raw_minio(stack)
    found = client.list_objects(bucket_name(tenant.org_id), prefix=f"jobs/{job_id}/", recursive=True)
    return [o.object_name for o in found]


def test_a_worker_killed_mid_export_leaves_nothing_and_the_job_completes(
    tenant: Tenant, project: str, stack: Stack, tmp_path: Path
) -> None:
    job_id = ask(tenant, project)
    first = start_worker(stack, tmp_path / "first.log", SLOW)
    try:
        running_with_progress(tenant, project, job_id)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop_process(first)
    job = tenant.ok("GET", f"/projects/{project}/jobs/{job_id}")
    assert (job["state"], job["artifact"]) == ("running", None)
    assert job["progress"]["done"] < job["progress"]["total"]
    assert stored_objects(stack, tenant, job_id) == []  # an unfinished upload is no object
    with running_worker(stack, tmp_path / "second.log"):
        job = wait_for(tenant, project, job_id)
    assert job["state"] == "succeeded", job
    assert job["attempts"] == 2
    assert stored_objects(stack, tenant, job_id) == [f"jobs/{job_id}/2/artifact"]
    body = tenant.call("GET", f"/projects/{project}/jobs/{job_id}/artifact").content
    assert len(body.splitlines()) == TASKS


def test_a_cancelled_job_stops_and_keeps_nothing(
    tenant: Tenant, project: str, stack: Stack, tmp_path: Path
) -> None:
    job_id = ask(tenant, project)
    with running_worker(stack, tmp_path / "worker.log", SLOWER):
        running_with_progress(tenant, project, job_id)
        asked = tenant.ok("POST", f"/projects/{project}/jobs/{job_id}/cancellation")
        assert asked["cancel_requested"] is True
        job = wait_for(tenant, project, job_id, timeout=30)
    assert job["state"] == "cancelled", job
    assert job["error"] == "Cancelled; nothing was kept."
    assert job["progress"]["done"] < TASKS
    assert job["artifact"] is None
    assert stored_objects(stack, tenant, job_id) == []
    assert tenant.call("GET", f"/projects/{project}/jobs/{job_id}/artifact").status_code == 409


def test_a_queued_job_cancelled_ends_at_once(tenant: Tenant, project: str) -> None:
    job_id = ask(tenant, project)  # no worker runs in this test
    job = tenant.ok("POST", f"/projects/{project}/jobs/{job_id}/cancellation")
    assert job["state"] == "cancelled"
    assert job["error"] == "Cancelled; nothing was kept."
    again = tenant.call("POST", f"/projects/{project}/jobs/{job_id}/cancellation")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_a_job_whose_workers_keep_dying_is_given_up_after_three_attempts(
    tenant: Tenant, project: str, stack: Stack, tmp_path: Path
) -> None:
    job_id = ask(tenant, project)
    # As if a third worker had taken it and died: running, its lease over.
    sql_as_tenant(
        tenant.org_id,
        "UPDATE jobs SET state = 'running', attempts = 3, worker = 'gone',"
        " lease_until = now() - interval '1 second' WHERE id = :j",
        j=uuid.UUID(job_id),
    )
    with running_worker(stack, tmp_path / "worker.log"):
        job = wait_for(tenant, project, job_id, timeout=30)
    assert (job["state"], job["attempts"]) == ("failed", 3), job
    assert job["error"] == "The job stopped 3 times without finishing; nothing was kept."
    assert stored_objects(stack, tenant, job_id) == []
