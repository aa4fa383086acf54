"""No loss, no duplicates: the api and the audit service are killed (SIGKILL) at random moments during
a burst of changes and started again; afterwards every committed change has exactly one record in
its organization's chain, nothing uncommitted has one, and the chain verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.stack import Stack
from tests.support.api_process import free_port, stop_process

BURST_SECONDS = 20
SEED = 20261123


class Restartable:
    """A service process that can be killed without warning and started again the same way."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self._command, self._env, self._log = command, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self._log.open("ab") as out:
            # A process group of its own: the api's worker processes die with it (killing only the
            # supervisor would leave them serving, and the "killed" api would go on answering).
            self.process = subprocess.Popen(
                self._command, env=self._env, stdout=out, stderr=out, start_new_session=True
            )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


@pytest.fixture
def services(migrated: Stack, tmp_path: Path) -> tuple[Restartable, Restartable, str]:
    port = free_port()
    url = f"https://localhost:{port}"
    env = os.environ | migrated.env
    api = Restartable(
        [sys.executable, "-m", "enclave.api"],
        env | {"ENCLAVE_API_PORT": str(port), "ENCLAVE_API_MODE": "test", "ENCLAVE_API_PUBLIC_URL": url},
        tmp_path / "api.log",
    )
    audit = Restartable(
        [sys.executable, "-m", "enclave.audit_service", "run"],
        env | {"ENCLAVE_AUDIT_POLL_INTERVAL_S": "0.02", "ENCLAVE_AUDIT_BATCH_SIZE": "3"},
        tmp_path / "audit.log",
    )
    return api, audit, url


def wait_up(url: str, stack: Stack) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/health/live", verify=stack.tls, timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the api did not come back"
            time.sleep(0.1)
        else:
            return


def test_kill_both_at_random_and_lose_nothing(
    services: tuple[Restartable, Restartable, str], stack: Stack, api: httpx.Client
) -> None:
    api_process, audit_process, url = services
    tenant = Tenant.create(api)  # provisioned through the suite's api; the burst goes to ours
    api_process.start()
    audit_process.start()
    try:
        wait_up(url, stack)
        answered: Counter[int] = Counter()
        stop = threading.Event()

        def burst() -> None:
            with httpx.Client(base_url=url, verify=stack.tls, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        response = client.post(
                            "/api/v1/datasets",
                            json={"name": f"burst-{n}", "kind": "image"},
                            headers=tenant.headers(),
                        )
                        answered[response.status_code] += 1
                    except httpx.TransportError:
                        answered[0] += 1
                        time.sleep(0.05)

        workers = [threading.Thread(target=burst) for _ in range(3)]
        for worker in workers:
            worker.start()
        chaos = random.Random(SEED)  # noqa: S311 — when to kill, not a secret
        deadline = time.monotonic() + BURST_SECONDS
        while time.monotonic() < deadline:
            time.sleep(chaos.uniform(0.2, 1.2))
            victim = chaos.choice([api_process, audit_process])
            victim.kill()
            time.sleep(chaos.uniform(0.0, 0.3))
            victim.start()
            if victim is api_process:
                wait_up(url, stack)
        stop.set()
        for worker in workers:
            worker.join()

        # Let the (restarted) audit service drain everything that committed.
        committed = {str(r[0]) for r in sql_as_tenant(tenant.org_id, "SELECT id FROM datasets")}
        deadline = time.monotonic() + 60
        while True:
            rows = sql_as_tenant(
                tenant.org_id, "SELECT target FROM audit_log WHERE action = 'data:dataset:create'"
            )
            recorded = Counter(str(r[0]).removeprefix("dataset:") for r in rows)
            if set(recorded) >= committed or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        api_process.stop()
        audit_process.stop()

    assert api_process.kills > 0
    assert audit_process.kills > 0
    assert answered[201] > 20, answered
    assert set(recorded) == committed, "a committed change without its record, or a record without its change"
    assert max(recorded.values()) == 1, "a change recorded twice"
    done = subprocess.run(
        [sys.executable, "-m", "enclave.audit_service", "verify", str(tenant.org_id)],
        env=os.environ | stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
