"""Faults under load: while 16 annotators submit and an export runs on a real worker, PostgreSQL,
Redis, MinIO, OpenBao, Keycloak, the audit service and the worker are each killed (SIGKILL) and started
again, in turn. The api is never restarted.

Afterwards, by Jepsen's rule (a request that got no answer may have succeeded; the client retried it
with its Idempotency-Key and counts it once):

- every submission that got a 2xx is stored exactly once and audited exactly once; one that never got
  an answer is stored at most once, and audited exactly as often as it is stored; nothing else is
  stored; a submission sent again after its 2xx gets the same version back;
- the organization's audit chain verifies;
- no marker planted in a payload is in a ``pg_dump`` of the database or in a file of MinIO's data
  directory (and the search does find them in the plaintext export, so it can find them);
- the api recovered by itself (same process, ready, every annotator's next submission succeeds at
  once), and every answer that was not a success was a 4xx or a 503 with ``Retry-After``, none took
  10 s or more, and every export job finished, the last one holding every acknowledged submission.

The figures are printed, and added to the run's security evidence (``tests.support.evidence``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.components import STACK_SERVICES, Killable, ServiceProcess, StackService
from tests.faults.conftest import FaultApi
from tests.faults.ledger import (
    answers_of,
    audited_submissions,
    ledger_of,
    stored_versions,
    wait_until_drained,
)
from tests.faults.plaintext import MarkerSearch, markers_in, markers_in_object_storage
from tests.integration.domain.world import ONTOLOGY, Tenant
from tests.integration.jobs.jobs import FINISHED
from tests.integration.stack import Stack
from tests.security.conftest import Superuser
from tests.support import evidence
from tests.support.load import CLIENT_TIMEOUT_S, Annotator, LoadRecord, annotating, answered
from tests.support.needles import NeedleSearch

#: Keycloak alone takes about a minute to come back; the whole run takes about four on two cores.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]

ANNOTATORS = 16
#: Tasks enough that the queue never runs dry, even when Keycloak takes minutes to come back.
TASKS = 2000
#: Each annotator waits up to this long between tasks (uniformly): about 4 submissions a second.
THINK_S = 6.0
#: Load before the first fault, while a component is down, and after it is back.
WARM_UP_S = 3.0
DOWN_S = 2.0
SETTLE_S = 3.0
#: The dump's header of the table the submissions are stored in: the search read that far.
_VERSIONS_COPY = b"COPY public.annotation_versions "


# --- setting up ------------------------------------------------------------------------------------


def _project(tenant: Tenant, tasks: int) -> str:
    """A project without review (one submission finishes a task) over ``tasks`` image items."""
    suffix = uuid.uuid4().hex[:6]
    ontology = tenant.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
    project = tenant.ok(
        "POST",
        "/projects",
        json={"name": f"faults-{suffix}", "ontology_id": ontology["id"], "review_required": False},
    )["id"]
    dataset = tenant.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "image"})["id"]
    for start in range(0, tasks, 500):
        batch = [{"name": f"img-{i}.png", "media_type": "image/png"} for i in range(start, start + 500)]
        tenant.ok("POST", f"/datasets/{dataset}/items", json={"items": batch[: tasks - start]})
    tenant.ok("POST", f"/projects/{project}/datasets", json={"dataset_id": dataset})
    tenant.ok("POST", f"/projects/{project}/tasks", json={})
    return str(project)


@dataclass
class Exports:
    """Export jobs asked for during the run, as the org admin, through the load's careful client."""

    client: httpx.Client
    headers: dict[str, str]
    project: str
    record: LoadRecord
    jobs: list[str]

    def request(self) -> str | None:
        response = answered(
            self.client,
            self.record,
            "export",
            "POST",
            f"/api/v1/projects/{self.project}/exports",
            json={"format": "jsonl", "include_unfinished": True},
            headers=self.headers,
        )
        if response is None or response.status_code != 202:
            return None
        self.jobs.append(str(response.json()["id"]))
        return self.jobs[-1]

    def finished(self, job: str, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.client.get(f"/api/v1/projects/{self.project}/jobs/{job}", headers=self.headers)
            if response.status_code == 200 and response.json()["state"] in FINISHED:
                return dict(response.json())
            assert time.monotonic() < deadline, f"export job {job} did not finish: {response.text}"
            time.sleep(0.5)


# --- faults ----------------------------------------------------------------------------------------


def _inject(components: list[Killable], exports: Exports) -> int:
    """Kills each component in turn and starts it again; the number of faults injected. Whatever was
    killed and not yet restarted when something fails is restarted before the error goes on."""
    injected = 0
    for component in components:
        if component.name == "worker":
            exports.request()  # an export in the worker's hands when it dies (its lease then runs out)
        began = time.monotonic()
        component.kill()
        injected += 1
        try:
            time.sleep(DOWN_S)
        finally:
            component.restart()
        print(f"fault: {component.name} killed and back in {time.monotonic() - began:.1f} s")
        time.sleep(SETTLE_S)
    return injected


def _verify_chain(stack: Stack, tenant: Tenant) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enclave.audit_service", "verify", str(tenant.org_id)],
        env=os.environ | stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- the test --------------------------------------------------------------------------------------


def test_faults_under_load_lose_nothing_duplicate_nothing_leak_nothing(
    fault_api: FaultApi, migrated: Stack, services: dict[str, ServiceProcess]
) -> None:
    stack = migrated
    with httpx.Client(base_url=fault_api.url, verify=stack.tls, timeout=60) as admin:
        tenant = Tenant.create(admin)
        project = _project(tenant, TASKS)
        # A project the load never touches: each annotator's first try on it, after the faults.
        untouched = _project(tenant, ANNOTATORS)
        members = [tenant.member("member") for _ in range(ANNOTATORS)]
        for member in members:
            tenant.join(project, member, "annotator")
            tenant.join(untouched, member, "annotator")
        clients = [httpx.Client(base_url=fault_api.url, verify=stack.tls) for _ in members]
        try:
            _run(stack, fault_api, tenant, (project, untouched), admin, clients, members, services)
        finally:
            for client in clients:
                client.close()


def _run(
    stack: Stack,
    api: FaultApi,
    tenant: Tenant,
    projects: tuple[str, str],
    admin: httpx.Client,
    clients: list[httpx.Client],
    members: list[uuid.UUID],
    services: dict[str, ServiceProcess],
) -> None:
    project, untouched = projects
    components: list[Killable] = [StackService(name, stack) for name in STACK_SERVICES]
    components += [services["audit"], services["worker"]]
    pairs = [(client, tenant.headers(member)) for client, member in zip(clients, members, strict=True)]
    started = time.monotonic()
    with annotating(pairs, project, THINK_S) as record:
        exports = Exports(admin, tenant.headers(), project, record, [])
        exports.request()
        time.sleep(WARM_UP_S)
        injected = _inject(components, exports)
    under_load_s = time.monotonic() - started

    # Recovered by itself: the same api process, ready, and each annotator's next submission is
    # answered 2xx at the first attempt.
    os.kill(api.pid, 0)
    ready = admin.get("/health/ready", timeout=CLIENT_TIMEOUT_S)
    assert ready.status_code == 200, ready.text
    after = LoadRecord()
    for client, headers in pairs:
        annotator = Annotator(client, headers, untouched, after, threading.Event(), think_s=0)
        assert annotator.work_one(), f"an annotator got no task after the faults: {after.attempts[-3:]}"
    first_tries = [a.status for a in after.attempts]
    # The load's acknowledged versions, all in the project the final export covers.
    acknowledged = {s.marker for s in record.submissions if s.outcome == "acknowledged"}
    record.attempts.extend(after.attempts)
    record.submissions.extend(after.submissions)
    assert services["audit"].alive(), "the audit service died after the faults"
    assert services["worker"].alive(), "the worker died after the faults"

    # Every export finished; the last, asked for after the faults, holds every acknowledged version.
    final = exports.request()
    assert final is not None
    states = {job: exports.finished(job)["state"] for job in exports.jobs}
    artifact = admin.get(f"/api/v1/projects/{project}/jobs/{final}/artifact", headers=tenant.headers())
    assert artifact.status_code == 200, artifact.text

    wait_until_drained(tenant)
    stored, audited = stored_versions(tenant), audited_submissions(tenant)
    ledger = ledger_of(record.submissions, stored, audited)
    markers = {s.marker for s in record.submissions}
    verified = _verify_chain(stack, tenant)

    # The dump is searched as pg_dump writes it, for the markers and for what shows it was read.
    dumped = MarkerSearch(markers)
    held = NeedleSearch([("organization", str(tenant.org_id).encode()), ("versions", _VERSIONS_COPY)])
    Superuser(stack).stream_dump(dumped, held)
    in_dump = dumped.finish()
    files_seen, in_files = markers_in_object_storage(Path(stack.env["ENCLAVE_S3_DATA_DIR"]), markers)
    in_export = markers_in(artifact.content, markers)
    answers = answers_of(record)
    logged = api.log.read_text(errors="replace").splitlines()
    unhandled = [line for line in logged if "unhandled_error" in line]

    figures = {
        "faults injected": injected,
        "acknowledged writes checked": ledger.acknowledged,
        "lost writes": ledger.lost,
        "duplicated writes": ledger.duplicated,
        "plaintext markers found": len(in_dump | in_files),
    }
    # Figures of this suite alone, counted as well once the evidence table has a row for them.
    figures |= {
        "5xx other than 503": answers.server_errors_not_503,
        "slowest response (ms)": round(answers.slowest_s * 1000),
    }
    for name, value in figures.items():
        if name in evidence.FIGURES:
            evidence.add(name, value)
    print(
        "\nfaults under load:"
        f" faults injected {injected} (in {under_load_s:.0f} s under load),"
        f" acknowledged writes checked {ledger.acknowledged}, undecided {ledger.undecided},"
        f" lost {ledger.lost}, duplicated {ledger.duplicated}, refused {ledger.refused},"
        f" replays answered otherwise {ledger.replays_answered_otherwise},"
        f" plaintext markers found {len(in_dump | in_files)}"
        f" (of {len(markers)}; {files_seen} files searched),"
        f" requests {answers.total}, 503 {answers.unavailable}"
        f" (without Retry-After {answers.unavailable_without_retry_after}),"
        f" 5xx other than 503 {answers.server_errors_not_503}, no answer {dict(answers.no_answer)},"
        f" slowest response {answers.slowest_s:.2f} s, export jobs {dict(Counter(states.values()))},"
        f" api unhandled errors logged {len(unhandled)}"
    )

    counted = (ledger.lost, ledger.duplicated, ledger.refused, ledger.replays_answered_otherwise)
    assert counted == (0, 0, 0, 0), "lost, duplicated, refused, replays answered otherwise:\n" + "\n".join(
        ledger.problems[:30]
    )
    assert ledger.problems == [], "\n".join(ledger.problems[:30])
    assert ledger.acknowledged > ANNOTATORS * injected, "too little load to say anything"
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The search finds what is there: the plaintext export holds every acknowledged marker.
    assert acknowledged <= in_export, f"{len(acknowledged - in_export)} acknowledged versions not exported"
    assert held.found == {"organization", "versions"}
    assert files_seen > 0
    assert (sorted(in_dump), sorted(in_files)) == ([], [])
    assert answers.server_errors_not_503 == 0
    assert answers.unavailable_without_retry_after == 0
    assert answers.slowest_s < CLIENT_TIMEOUT_S
    assert not answers.no_answer, f"requests the api did not answer: {dict(answers.no_answer)}"
    assert all(status is not None and status < 300 for status in first_tries), first_tries
    assert states[final] == "succeeded", states
    assert set(states.values()) <= FINISHED
    assert unhandled == [], "\n".join(line[-2000:] for line in unhandled[:3])
