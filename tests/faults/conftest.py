"""Fault-suite fixtures: an api of the suite's own (its process id tells whether it ever restarted),
and the audit service and worker as processes the suite may kill.

Whatever a test kills, these fixtures leave running again: on the way out every service of
``scripts/stack`` is brought up if any is down, so later suites find the stack healthy.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.components import ServiceProcess, stack_healthy
from tests.integration.stack import STACK, Stack
from tests.support.api_process import running_api_process

#: The module that runs after every other of the suite.
LAST = "test_faults_under_load.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault suite runs after every other suite of the run: what it kills can then hurt no other
    test, and the stack it leaves is checked whole by nothing but itself."""
    here = Path(__file__).parent
    faults = [item for item in items if here in Path(str(item.path)).parents]
    # Within the suite, the load test last: it restarts every component, and the shared api's pools
    # then hold connections that died (each answers one request with a 503 and is renewed).
    faults.sort(key=lambda item: Path(str(item.path)).name == LAST)
    if faults:
        items[:] = [item for item in items if item not in faults] + faults


@dataclass(frozen=True)
class FaultApi:
    """The suite's api: where it answers, its process (it must be the same one at the end), its log."""

    url: str
    pid: int
    log: Path


@pytest.fixture(scope="module")
def fault_api(migrated: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultApi]:
    """A real api in test mode (the test-only caller header), never restarted by the suite."""
    log = tmp_path_factory.mktemp("fault-api") / "api.log"
    with running_api_process(migrated, log, "test") as api:
        yield FaultApi(api.url, api.pid, log)


@pytest.fixture
def services(migrated: Stack, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    """The audit service and a worker, started; stopped afterwards, and the stack made whole."""
    running = {
        "audit": ServiceProcess("audit", migrated, tmp_path / "audit.log"),
        "worker": ServiceProcess("worker", migrated, tmp_path / "worker.log"),
    }
    try:
        for process in running.values():
            process.start()
        yield running
    finally:
        for process in running.values():
            process.stop()
        if not stack_healthy():
            subprocess.run([str(STACK), "up"], check=True, capture_output=True, timeout=600)
