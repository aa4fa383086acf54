"""The components a fault test kills outright (SIGKILL) and starts again: the stack's services, through
``scripts/stack``'s pid files and ``scripts/stack up NAME``, and the service processes the test runs
itself (the audit service, the worker).

Owns killing and restarting, and nothing else: it never stops the api (the api must recover by itself),
and every component it kills it can start again, so a test's ``finally`` leaves the stack whole.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tests.integration.stack import STACK, Stack
from tests.support.api_process import stop_process
from tests.support.worker_process import start_worker

#: The stack's services, killed in this order (the issue's order).
STACK_SERVICES = ("postgres", "redis", "minio", "openbao", "keycloak")
#: How often the audit service signs a checkpoint and polls its outbox here: a drained outbox soon.
AUDIT_SETTINGS = {
    "ENCLAVE_AUDIT_CHECKPOINT_INTERVAL_S": "1",
    "ENCLAVE_AUDIT_POLL_INTERVAL_S": "0.05",
    "ENCLAVE_AUDIT_KEYCLOAK_PULL_INTERVAL_S": "1",
}
DEATH_TIMEOUT_S = 15


class Killable(Protocol):
    name: str

    def kill(self) -> None: ...

    def restart(self) -> None: ...


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie of ours still answers kill(0): reap it if it is our child.
    with contextlib.suppress(ChildProcessError):
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    return False


def _kill_group(pid: int, name: str) -> None:
    """SIGKILL to the process group ``pid`` leads (every component runs in a session of its own),
    and waits until its leader is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + DEATH_TIMEOUT_S
    while not _dead(pid):
        assert time.monotonic() < deadline, f"{name} (pid {pid}) survived SIGKILL"
        time.sleep(0.05)


@dataclass
class StackService:
    """A service of ``scripts/stack``: its pid file is ``$STACK_DIR/run/<name>.pid``."""

    name: str
    stack: Stack

    @property
    def pid_file(self) -> Path:
        # The stack's state directory holds tls/ca.crt; scripts/lib/common.sh puts run/ beside it.
        return Path(self.stack.ca_file).parent.parent / "run" / f"{self.name}.pid"

    def kill(self) -> None:
        pid = int(self.pid_file.read_text().strip())
        _kill_group(pid, self.name)
        # What a crash leaves: its children die with the group; the port frees once they are gone.
        time.sleep(0.5)

    def restart(self) -> None:
        done = subprocess.run(
            [str(STACK), "up", self.name], capture_output=True, text=True, check=False, timeout=300
        )
        assert done.returncode == 0, f"scripts/stack up {self.name} failed:\n{done.stderr[-3000:]}"


@dataclass
class ServiceProcess:
    """A service process the test runs (audit service, worker): killed by its group, started anew."""

    name: str
    stack: Stack
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        if self.name == "worker":
            self.process = start_worker(self.stack, self.log)
        else:
            self.process = start_audit_service(self.stack, self.log)

    def kill(self) -> None:
        assert self.process is not None
        _kill_group(self.process.pid, self.name)
        self.process.wait()

    def restart(self) -> None:
        self.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def start_audit_service(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    """``enclave-audit run`` as its own database role and AppRole, its output appended to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave.audit_service", "run"],
            env=os.environ | stack.env | AUDIT_SETTINGS,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    time.sleep(0.5)
    if process.poll() is not None:
        raise RuntimeError(f"the audit service did not start:\n{log.read_text()}")
    return process


def stack_healthy() -> bool:
    """``scripts/stack status``: every service answers."""
    return subprocess.run([str(STACK), "status"], capture_output=True, check=False).returncode == 0
