"""A real ``enclave-worker`` process on the stack, for the suites and the benchmarks: started in a
process group of its own, stopped (or killed outright, to test a crash) on demand."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.integration.stack import Stack
from tests.support.api_process import stop_process

#: Short enough that a test sees a dead worker's job taken over within seconds.
TEST_SETTINGS = {"ENCLAVE_WORKER_LEASE_S": "5", "ENCLAVE_WORKER_POLL_INTERVAL_S": "0.1"}
START_TIMEOUT_S = 60
#: What the worker logs once it is ready to take jobs.
STARTED = '"event": "worker_started"'


def start_worker(
    stack: Stack, log: Path, settings: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Starts a worker and returns once it says it is ready (it then looks for a job at once)."""
    env = os.environ | stack.env | TEST_SETTINGS | dict(settings or {})
    seen = log.read_text().count(STARTED) if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave.worker"], env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while log.read_text().count(STARTED) <= seen:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"the worker did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return process


@contextmanager
def running_worker(
    stack: Stack, log: Path, settings: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(stack, log, settings)
    try:
        yield process
    finally:
        stop_process(process)
