"""api replicas on one host (``make up`` with ``ENCLAVE_REPLICAS``): each binds the same port with
``SO_REUSEPORT`` (``ENCLAVE_API_SHARED_PORT``), and the kernel hands new connections to all of them.

Which process holds each connection is read from the kernel (``ss -p``), not inferred from timing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.stack import Stack
from tests.support.api_process import free_port, running_api_process

pytestmark = pytest.mark.stack

SHARED = {"ENCLAVE_API_SHARED_PORT": "true"}
CONNECTIONS = 32
_PID = re.compile(r"pid=(\d+)")


def _holders(port: int, state: str) -> list[int]:
    """The process of each socket on ``port`` in ``state`` (``listening`` or ``established``, the
    server's side only)."""
    lines = subprocess.run(
        ["ss", "-H", "-tnp", "state", state, "sport", "=", f":{port}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return [int(pid) for line in lines for pid in _PID.findall(line)[:1]]


def _listening_processes(port: int, expected: int) -> set[int]:
    deadline = time.monotonic() + 60
    while len(found := set(_holders(port, "listening"))) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_two_replicas_share_the_port_and_the_kernel_spreads_connections(
    migrated: Stack, tmp_path: Path
) -> None:
    port = free_port()
    with (
        running_api_process(migrated, tmp_path / "a.log", "production", SHARED, port=port) as first,
        running_api_process(migrated, tmp_path / "b.log", "production", SHARED, port=port) as second,
    ):
        assert _listening_processes(port, 2) == {first.pid, second.pid}
        clients = [httpx.Client(base_url=first.url, verify=migrated.tls) for _ in range(CONNECTIONS)]
        try:
            for client in clients:  # each a connection of its own, kept open
                assert client.get("/health/live").status_code == 200
            held = _holders(port, "established")
        finally:
            for client in clients:
                client.close()
    assert len(held) == CONNECTIONS
    # Both served: the chance that 32 connections all land on one of two is 2 ** -31.
    assert set(held) == {first.pid, second.pid}, held


def test_without_the_setting_a_second_api_cannot_take_the_port(migrated: Stack, tmp_path: Path) -> None:
    port = free_port()
    with running_api_process(migrated, tmp_path / "a.log", "production", port=port):
        second = subprocess.run(
            [sys.executable, "-m", "enclave.api"],
            env=os.environ | migrated.env | {"ENCLAVE_API_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode != 0
        assert "address already in use" in (second.stdout + second.stderr).lower()
        assert len(_holders(port, "listening")) == 1  # the first one's (its workers share it)
