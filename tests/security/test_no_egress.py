"""No egress: the api and the worker connect to their configured endpoints and nothing else.

Two witnesses, neither of them the code under test:

- **The kernel.** The api and worker processes of a test run in a cgroup of their own (cgroup v2, made
  by the test), and an nftables table (also made by the test, removed after it) counts every new
  outgoing connection or datagram from a socket of that cgroup, by destination, against the set of
  endpoints the stack's settings name. A packet to anywhere else is counted in ``other`` and its
  destination kept in a set, so a failure names it. Why not a network namespace of the api's own
  (``unshare --net``/``ip netns``): the stack listens on loopback, and loopback is per namespace, so a
  namespace that could still reach the stack would need a veth pair and NAT rules per port — a
  hand-made network that tests itself more than the api. The cgroup match watches the real processes
  on the real network, sees a connection even when it is refused or lasts a millisecond (polling
  ``ss``/``/proc/net/tcp`` would not), and needs only root, which these suites have.
- **The process's own guard** (``enclave.egress``): an api whose application is told of a customer S3
  endpoint the guard was not (a slip in the application's own allowlist, simulated) tries to reach
  it; the guard refuses, the client gets a clear 503 (never a 500 or a hang), the refusal is logged as
  the security event ``security.egress_refused`` naming the host, and the kernel saw no packet leave.

Then a whole workflow — an organization, members, an upload, tasks, annotation, a rejection and an
approval, and an export run by a worker and downloaded — runs under the kernel's watch, and the
count of connections to anything but the configured endpoints must be 0 (it is added to the
security evidence as "egress attempts", and printed: ``egress: N attempts, M allowed connections``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image

from tests.integration.domain.world import ONTOLOGY, Tenant, audited
from tests.integration.jobs.jobs import export
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_process import ApiProcess, running_api_process
from tests.support.stack_fixtures import CUSTOMER_CREDENTIALS, install_s3_credentials
from tests.support.worker_process import STARTED, TEST_SETTINGS

CGROUP2 = Path("/sys/fs/cgroup/unified") if Path("/sys/fs/cgroup/unified/cgroup.procs").exists() else None
#: An address reserved for documentation (RFC 5737): nobody's endpoint, certainly not a configured one.
UNCONFIGURED_ADDRESS = "192.0.2.1"
#: A name under a reserved top-level domain (RFC 6761): it must never even be looked up.
UNCONFIGURED_NAME = "exfiltrate.invalid"


def _cgroup_root() -> Path:
    """Where cgroup v2 is mounted (the unified hierarchy of a hybrid setup, or the whole tree)."""
    if CGROUP2 is not None:
        return CGROUP2
    root = Path("/sys/fs/cgroup")
    assert (root / "cgroup.controllers").exists(), "no cgroup v2 hierarchy to put the processes in"
    return root


def configured_endpoints(stack: Stack) -> set[tuple[str, int]]:
    """The (address, port) pairs the stack's settings name, resolved here, independently of the code
    under test."""
    env = stack.env
    hosts = [(env["ENCLAVE_DB_HOST"], int(env["ENCLAVE_DB_PORT"]))]
    for variable in ("ENCLAVE_REDIS_URL", "ENCLAVE_S3_ENDPOINT", "ENCLAVE_VAULT_URL", "ENCLAVE_KEYCLOAK_URL"):
        parts = urlsplit(env[variable])
        assert parts.hostname
        assert parts.port
        hosts.append((parts.hostname, parts.port))
    found: set[tuple[str, int]] = set()
    for host, port in hosts:
        for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP):
            found.add((str(info[4][0]), port))
    return found


@dataclass
class Attempts:
    other: int
    allowed: int
    destinations: list[str]


class EgressWatch:
    """A cgroup for the watched processes and an nftables table counting their new outgoing flows."""

    def __init__(self, allowed: set[tuple[str, int]]) -> None:
        self.name = f"enclave-egress-{uuid.uuid4().hex[:8]}"
        self.cgroup = _cgroup_root() / self.name
        self.table = self.name.replace("-", "_")
        self.allowed = allowed

    def _nft(self, script: str) -> str:
        done = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"nft refused the watch's rules: {done.stderr}\n{script}"
        return done.stdout

    def start(self) -> None:
        self.cgroup.mkdir()
        # nft finds a cgroup v2 by its path below /sys/fs/cgroup; the level is its depth in the v2 tree.
        path = str(self.cgroup.relative_to("/sys/fs/cgroup"))
        match = f'socket cgroupv2 level 1 "{path}" ct state new'
        v4 = [f"{a} . {p}" for a, p in sorted(self.allowed) if ":" not in a]
        v6 = [f"{a} . {p}" for a, p in sorted(self.allowed) if ":" in a]
        self._nft(
            f"""table inet {self.table} {{
  set allowed4 {{ type ipv4_addr . inet_service; {f"elements = {{ {', '.join(v4)} }}" if v4 else ""} }}
  set allowed6 {{ type ipv6_addr . inet_service; {f"elements = {{ {', '.join(v6)} }}" if v6 else ""} }}
  set seen4 {{ type ipv4_addr . inet_service; flags dynamic; size 4096; }}
  set seen6 {{ type ipv6_addr . inet_service; flags dynamic; size 4096; }}
  counter allowed {{ }}
  counter other {{ }}
  chain output {{
    type filter hook output priority 0; policy accept;
    {match} ip daddr . th dport @allowed4 counter name allowed accept
    {match} ip6 daddr . th dport @allowed6 counter name allowed accept
    {match} meta nfproto ipv4 add @seen4 {{ ip daddr . th dport }} counter name other
    {match} meta nfproto ipv6 add @seen6 {{ ip6 daddr . th dport }} counter name other
    {match} meta l4proto != {{ tcp, udp }} counter name other
  }}
}}
"""
        )

    def allow_listener(self, url: str) -> None:
        """The api's own listener (known once it started: its port is free-picked), on loopback."""
        port = urlsplit(url).port
        self._nft(
            f"add element inet {self.table} allowed4 {{ 127.0.0.1 . {port} }}\n"
            f"add element inet {self.table} allowed6 {{ ::1 . {port} }}\n"
        )

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the watched cgroup (it joins before it execs, so every socket is seen)."""
        procs = self.cgroup / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh", *argv]

    def attempts(self) -> Attempts:
        listed = json.loads(
            subprocess.run(
                ["nft", "-j", "list", "table", "inet", self.table], capture_output=True, text=True, check=True
            ).stdout
        )
        counters: dict[str, int] = {}
        seen: list[str] = []
        for entry in listed["nftables"]:
            if "counter" in entry:
                counters[entry["counter"]["name"]] = entry["counter"]["packets"]
            if "set" in entry and entry["set"]["name"].startswith("seen"):
                for element in entry["set"].get("elem", []):
                    value = (
                        element.get("elem", {}).get("val", element) if isinstance(element, dict) else element
                    )
                    seen.append(json.dumps(value))
        return Attempts(counters.get("other", 0), counters.get("allowed", 0), seen)

    def stop(self) -> None:
        subprocess.run(["nft", "delete", "table", "inet", self.table], capture_output=True, check=False)
        if self.cgroup.exists():
            for pid in (self.cgroup / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            deadline = time.monotonic() + 10
            while (self.cgroup / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
                time.sleep(0.1)
            self.cgroup.rmdir()


@contextlib.contextmanager
def watching(allowed: set[tuple[str, int]]) -> Iterator[EgressWatch]:
    watch = EgressWatch(allowed)
    try:
        watch.start()
        yield watch
    finally:
        watch.stop()


#: An api whose guard is installed from the settings as deployed, and whose application is then told
#: of customer endpoints the guard never was (``ENCLAVE_TEST_UNGUARDED_ENDPOINTS``): the guard must
#: hold where the application's own allowlist slipped. One server process, so the guard installed
#: here is the one that serves (``install`` keeps the first guard of a process).
UNGUARDED_API = """
import json, os
from enclave import egress
egress.install()
extra = json.loads(os.environ.pop("ENCLAVE_TEST_UNGUARDED_ENDPOINTS"))
os.environ["ENCLAVE_S3_EXTERNAL_ENDPOINTS"] = json.dumps(
    json.loads(os.environ.get("ENCLAVE_S3_EXTERNAL_ENDPOINTS", "[]")) + extra
)
from enclave.api.__main__ import main
main()
"""


def _refusals(log: Path) -> list[dict[str, object]]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"security.egress_refused"' in line:
            events.append(json.loads(line))
    return events


def test_an_endpoint_only_the_application_knows_is_refused_by_the_guard(
    stack: Stack, migrated: Stack, tmp_path: Path
) -> None:
    log = tmp_path / "api.log"
    secrets = install_s3_credentials(stack, tmp_path / "s3-credentials")
    unguarded = [f"https://{UNCONFIGURED_ADDRESS}", f"https://{UNCONFIGURED_NAME}"]
    settings = {
        "ENCLAVE_API_WORKERS": "1",
        "ENCLAVE_S3_EXTERNAL_SECRETS_DIR": str(secrets),
        "ENCLAVE_TEST_UNGUARDED_ENDPOINTS": json.dumps(unguarded),
    }
    with watching(configured_endpoints(stack)) as watch:
        with (
            _api_on(watch, stack, log, settings, [sys.executable, "-c", UNGUARDED_API]) as api,
            httpx.Client(base_url=api.url, verify=stack.tls, timeout=30) as client,
        ):
            tenant = Tenant.create(client)
            dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})
            for endpoint in unguarded:
                source = {
                    "endpoint": endpoint,
                    "bucket": "customer-data",
                    "credentials": CUSTOMER_CREDENTIALS,
                }
                started = time.monotonic()
                response = tenant.call("POST", f"/datasets/{dataset['id']}/imports", json={"source": source})
                assert time.monotonic() - started < 10, f"{endpoint}: the refusal took over 10 s"
                assert response.status_code == 503, (endpoint, response.status_code, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
            assert not tenant.ok("GET", f"/datasets/{dataset['id']}/items")["items"], "something was stored"
            # Each refused endpoint is on the organization's audit trail too, not only in the log: the
            # address refused at connect (its port), the name at its lookup (no port yet).
            for target in (f"endpoint:{UNCONFIGURED_ADDRESS}:443", f"endpoint:{UNCONFIGURED_NAME}"):
                assert asyncio.run(audited(tenant, "security:egress:refused", target)) == 1, target
        attempts = watch.attempts()
    refused = {str(event["host"]) for event in _refusals(log)}
    assert {UNCONFIGURED_ADDRESS, UNCONFIGURED_NAME} <= refused, f"no security event for: {refused}"
    assert attempts.allowed > 0, "the watch saw none of the api's connections: it watched nothing"
    assert attempts.other == 0, f"a refused connection still left the process: {attempts.destinations}"


def test_the_watch_sees_a_connection_to_an_unconfigured_endpoint(stack: Stack) -> None:
    """The kernel's witness can fail: a process of the cgroup that connects to a loopback port no
    setting names (a listener of this test's own) is counted, and named."""
    with socket.create_server(("127.0.0.1", 0)) as listener, watching(configured_endpoints(stack)) as watch:
        port = listener.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5).close()"
        subprocess.run(watch.command(sys.executable, "-c", probe), check=True, timeout=30)
        attempts = watch.attempts()
    assert attempts.other == 1, attempts
    assert any(str(port) in destination for destination in attempts.destinations), attempts


def test_the_application_refuses_an_unconfigured_endpoint_first(api: httpx.Client) -> None:
    """The first line: the api as deployed names no such endpoint, and says so with a 4xx."""
    tenant = Tenant.create(api)
    dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})
    source = {
        "endpoint": f"https://{UNCONFIGURED_ADDRESS}",
        "bucket": "b-b-b",
        "credentials": CUSTOMER_CREDENTIALS,
    }
    response = tenant.call("POST", f"/datasets/{dataset['id']}/imports", json={"source": source})
    assert 400 <= response.status_code < 500, response.text
    assert "not one the installation allows" in response.text


@contextlib.contextmanager
def _api_on(
    watch: EgressWatch, stack: Stack, log: Path, settings: dict[str, str], command: list[str]
) -> Iterator[ApiProcess]:
    """An api started by ``command`` in the watched cgroup, its own listener then allowed."""
    with running_api_process(stack, log, "test", settings, watch.command(*command)) as api:
        watch.allow_listener(api.url)
        yield api


def _worker(stack: Stack, log: Path, command: list[str]) -> subprocess.Popen[bytes]:
    env = os.environ | stack.env | TEST_SETTINGS
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 60
    while STARTED not in log.read_text():
        assert process.poll() is None, f"the worker did not start:\n{log.read_text()}"
        assert time.monotonic() < deadline, "the worker did not start within 60 s"
        time.sleep(0.05)
    return process


def test_a_whole_workflow_and_export_connect_only_to_configured_endpoints(
    stack: Stack, migrated: Stack, tmp_path: Path
) -> None:
    with watching(configured_endpoints(stack)) as watch:
        api_command = [sys.executable, "-m", "enclave.api"]
        worker = _worker(
            stack, tmp_path / "worker.log", watch.command(sys.executable, "-m", "enclave.worker")
        )
        try:
            with (
                _api_on(watch, stack, tmp_path / "api.log", {"ENCLAVE_API_WORKERS": "1"}, api_command) as api,
                httpx.Client(base_url=api.url, verify=stack.tls, timeout=60) as client,
            ):
                _workflow(Tenant.create(client))
        finally:
            worker.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=30)
        attempts = watch.attempts()
    evidence.add("egress attempts", attempts.other)
    print(f"\negress: {attempts.other} attempts, {attempts.allowed} allowed connections")
    assert attempts.allowed > 0, "the watch saw none of the processes' connections: it watched nothing"
    assert attempts.other == 0, f"connections to unconfigured endpoints: {attempts.destinations}"
    for log in (tmp_path / "api.log", tmp_path / "worker.log"):
        assert not _refusals(log), f"{log.name}: the guard refused a connection: {_refusals(log)}"


def _workflow(tenant: Tenant) -> None:
    """Members, an uploaded image, tasks, an annotation rejected then approved, a finished export."""
    suffix = uuid.uuid4().hex[:6]
    ontology = tenant.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
    project = tenant.ok("POST", "/projects", json={"name": f"p-{suffix}", "ontology_id": ontology["id"]})[
        "id"
    ]
    dataset = tenant.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "image"})["id"]
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(image, "PNG")
    headers = {
        "Content-Type": "image/png",
        "Content-Disposition": f'attachment; filename="scan-{suffix}.png"',
    }
    item = tenant.ok("POST", f"/datasets/{dataset}/files", content=image.getvalue(), headers=headers)
    assert tenant.call("GET", f"/items/{item['id']}/content").content == image.getvalue()
    tenant.ok("POST", f"/projects/{project}/datasets", json={"dataset_id": dataset})
    tenant.ok("POST", f"/projects/{project}/tasks", json={})
    annotator, reviewer = tenant.member("member"), tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.join(project, reviewer, "reviewer")
    box = {"objects": [{"kind": "bbox", "label": "car", "x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}]}
    task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
    tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": box})
    tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
    tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "reject", "comment": "again"})
    tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": box})
    tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
    tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "approve", "comment": "fine"})
    job, artifact = export(tenant, project, "coco")
    assert job["artifact"]["size"] == len(artifact) > 0
