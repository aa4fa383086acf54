"""A real api process over HTTPS on a free port, for the suites and the benchmarks alike."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.integration.stack import Stack

START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself holds a listening TCP socket on ``port`` (from /proc): with a
    shared port, another replica answering says nothing of this one."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return True
    return False


@dataclass(frozen=True)
class ApiProcess:
    url: str
    pid: int


@contextmanager
def running_api(
    stack: Stack, log: Path, mode: str, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``python -m enclave.api`` in ``mode`` ("production", or "test" for the test-only caller header),
    its output in ``log``; yields its URL once it answers, and stops it on exit. ``settings`` are extra
    ``ENCLAVE_*`` variables (an upload limit, customer bucket endpoints)."""
    with running_api_process(stack, log, mode, settings) as api:
        yield api.url


@contextmanager
def running_api_process(
    stack: Stack,
    log: Path,
    mode: str,
    settings: Mapping[str, str] | None = None,
    command: Sequence[str] = (sys.executable, "-m", "enclave.api"),
    port: int | None = None,
) -> Iterator[ApiProcess]:
    """As :func:`running_api`, with the process id (a benchmark samples its memory); ``command``
    starts it another way (under a profiler); ``port`` is one replicas share (a free one by default)."""
    shared = port is not None
    port = port or free_port()
    url = f"https://localhost:{port}"
    env = (
        os.environ
        | stack.env
        | {"ENCLAVE_API_PORT": str(port), "ENCLAVE_API_MODE": mode, "ENCLAVE_API_PUBLIC_URL": url}
        | dict(settings or {})
    )
    with log.open("wb") as out:
        # Its own process group: stop_process ends its worker processes with it, however it ends.
        process = subprocess.Popen(list(command), env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{url}/health/live", verify=stack.tls, timeout=2)
                answered = True
            except httpx.TransportError:
                answered = False
            # On a shared port another replica may answer: this one must hold its own listener.
            if answered and (not shared or listens(process.pid, port)):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the api did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield ApiProcess(url, process.pid)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Asks a service process to stop (SIGTERM: it finishes what is in flight), then insists; then
    ends whatever is left of its process group (the workers of a supervisor that died). Every
    service process of the suites and benchmarks starts in a group of its own
    (``start_new_session=True``)."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # nothing left of the group
        os.killpg(process.pid, signal.SIGKILL)
