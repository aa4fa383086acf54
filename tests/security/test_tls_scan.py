"""Every listening port of the stack and the api speaks only strong TLS, and nothing in the clear.

One test per port: PostgreSQL (TLS after its SSLRequest: sslyze's ``--starttls postgres``), Redis,
MinIO, OpenBao, Keycloak and Keycloak's management interface, and the suite's api process. Each is
scanned for real by sslyze (``tests/support/sslyze.py``: the pinned tool in its own environment, the
installation's CA its only trust store) and held, from its JSON report, to the policy that module
states: TLS 1.2 and 1.3 only, every accepted suite a full-tag AEAD one, the certificate valid for the
host name the services' settings use and chained to the installation's CA. Then a plaintext client
speaks the port's own protocol in the clear (an HTTP request, a Redis PING, PostgreSQL's startup
packet) and must get no cleartext answer: the connection closed or reset, a TLS alert, or one of the two
fixed refusals below, which serve nothing. A failure names the port and every problem found.

Each run adds "TLS ports scanned" and "TLS ports failed" to the security evidence, and prints one
line, ``tls scan: N ports scanned, M failed``.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.stack import ROOT, Stack
from tests.support import evidence
from tests.support.sslyze import Target, problems, scan

#: Go's TLS servers (MinIO, OpenBao) answer an HTTP request sent in the clear with this fixed text and
#: close: a refusal that serves nothing, so it is not a plaintext answer.
GO_REFUSAL = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
#: PostgreSQL refuses a startup packet sent without TLS (``hostssl`` only) with one FATAL 28000 error
#: naming "no encryption", before any authentication exchange, and closes.
PG_REFUSAL = re.compile(rb"^E.{4}SFATAL\x00(VFATAL\x00)?C28000\x00M[^\x00]*no encryption\x00", re.DOTALL)
#: A TLS record of type alert (21), as a TLS server answers bytes that are not a ClientHello.
TLS_ALERT = re.compile(rb"^\x15\x03[\x00-\x04]")

_lock = threading.Lock()
_outcomes: dict[str, bool] = {}


def _versions_default(name: str) -> int:
    """A port from ``scripts/versions.env`` (``: "${NAME:=port}"``), unless set in the environment."""
    if os.environ.get(name):
        return int(os.environ[name])
    text = (ROOT / "scripts" / "versions.env").read_text()
    found = re.search(rf"\$\{{{name}:=(\d+)\}}", text)
    assert found, f"{name} is not in scripts/versions.env"
    return int(found.group(1))


def _of_url(name: str, url: str) -> Target:
    parts = urlsplit(url)
    assert parts.hostname, f"{name}: {url} names no host"
    assert parts.port, f"{name}: {url} names no port"
    return Target(name, parts.hostname, parts.port)


def stack_targets(stack: Stack) -> list[Target]:
    """The stack's ports, under the names and addresses the services' settings reach them by."""
    env = stack.env
    return [
        Target("postgresql", env["ENCLAVE_DB_HOST"], int(env["ENCLAVE_DB_PORT"]), starttls="postgres"),
        _of_url("redis", env["ENCLAVE_REDIS_URL"]),
        _of_url("minio", env["ENCLAVE_S3_ENDPOINT"]),
        _of_url("openbao", env["ENCLAVE_VAULT_URL"]),
        _of_url("keycloak", env["ENCLAVE_KEYCLOAK_URL"]),
        # Its health checks (scripts/lib/keycloak.sh) reach it by address.
        Target("keycloak-management", "127.0.0.1", _versions_default("KEYCLOAK_MGMT_PORT")),
    ]


PORTS = ["postgresql", "redis", "minio", "openbao", "keycloak", "keycloak-management", "api"]
PROBES = {"postgresql": "postgres", "redis": "redis"}


@pytest.fixture(scope="module")
def targets(stack: Stack, api_url: str) -> dict[str, Target]:
    return {t.name: t for t in [*stack_targets(stack), _of_url("api", api_url)]}


@pytest.fixture(scope="module")
def reports(
    targets: dict[str, Target], stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """One sslyze scan of every port (in parallel, by sslyze), shared by the tests of each port."""
    return scan(targets.values(), stack.ca_file, Path(tmp_path_factory.mktemp("sslyze")))


def _plaintext_answer(target: Target, probe: str) -> bytes:
    """What the port sends back to its protocol spoken in the clear (until it closes, 64 KiB, or 5 s)."""
    if probe == "postgres":
        params = b"user\x00enclave_api\x00database\x00enclave\x00\x00"
        request = struct.pack("!ii", 8 + len(params), 196608) + params  # protocol 3.0 StartupMessage
    elif probe == "redis":
        request = b"PING\r\n"
    else:
        request = f"GET / HTTP/1.1\r\nHost: {target.host}\r\nConnection: close\r\n\r\n".encode()
    answer = b""
    with socket.create_connection((target.host, target.port), timeout=5) as sock:
        try:
            sock.sendall(request)
            while len(answer) < 65536:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused by a reset: nothing was answered
        except TimeoutError:
            answer += b"<no close within 5 s>"
    return answer


def _plaintext_problem(target: Target, probe: str) -> str | None:
    answer = _plaintext_answer(target, probe)
    if not answer or TLS_ALERT.match(answer):
        return None
    if probe == "http" and answer == GO_REFUSAL:
        return None
    if probe == "postgres" and PG_REFUSAL.match(answer):
        return None
    return f"answered a plaintext {probe} request in the clear: {answer[:80]!r}"


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """After the module's tests: the figures go to the evidence, and the summary line is printed."""
    yield
    scanned = len(_outcomes)
    failed = sum(1 for ok in _outcomes.values() if not ok)
    evidence.add("TLS ports scanned", scanned)
    evidence.add("TLS ports failed", failed)
    print(f"\ntls scan: {scanned} ports scanned, {failed} failed")


@pytest.mark.parametrize("port", PORTS)
def test_port_speaks_only_strong_tls(port: str, targets: dict[str, Target], reports: dict[str, Any]) -> None:
    target = targets[port]
    report = reports.get(target.location)
    found = problems(report) if report else [f"sslyze reported nothing for {target.location}"]
    plaintext = _plaintext_problem(target, PROBES.get(port, "http"))
    if plaintext:
        found.append(plaintext)
    with _lock:
        _outcomes[port] = not found
    assert not found, f"{port} ({target.location}): " + "; ".join(found)
