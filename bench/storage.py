"""Storage throughput (issue 6): files uploaded and downloaded through the api (API key, policy check,
AES-256-GCM sealing, the organization's bucket) next to raw MinIO PUT and GET of the same bytes, in the
same run, and the machine's own AES-256-GCM speed from ``openssl speed``.

Goals (issue 21): each transfer through the api, for 1 MiB and 100 MiB files, reaches at least 0.9 times
the same raw request relayed by nginx (``bench.relay``): the most any proxy reaches on this 2-core
machine, where none reaches issue 6's 0.8 of raw MinIO for downloads. The ratios to raw MinIO stay in
the figures as information. The paths alternate (proxied, raw, relay, then in turn ...) so that noise
from the shared machine falls on all of them. Owns an organization made for the run, authenticated by a
real API key against an api in production mode, and a raw bucket of its own; removes every object it
stored. Must never touch another organization's data.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import httpx
import urllib3
from minio import Minio
from tests.support.api_process import running_api_process
from tests.support.minio import raw_minio

from bench.core import Context, Goal, MiB, Result, Samples, Table
from bench.relay import nginx_relay, nginx_version
from bench.tenant import provision_with_api_key
from enclave.authz.scopes import Scope
from enclave.storage.objects import READ_CHUNK, bucket_name

SIZES = (MiB, 100 * MiB)
REPEATS = {MiB: 30, 100 * MiB: 5}
QUICK_REPEATS = {MiB: 3, 100 * MiB: 1}
#: Repetitions run first and not counted: first connections, the first data key from Vault, buckets.
WARMUP = 1
#: The least proxied / relayed throughput ratio of each transfer (issue 21).
REQUIRED = 0.9
#: Large enough for the biggest file (the default is 5 GiB; stated so the run does not depend on it).
UPLOAD_LIMIT = 1024**3
#: A PNG signature and the start of its IHDR chunk: what the api's sniffing needs to accept an image.
PNG_HEAD = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
#: Wall-clock time (``-elapsed``), as every other figure here: on a shared machine CPU time flatters.
OPENSSL_SPEED = ("openssl", "speed", "-mr", "-elapsed", "-seconds", "2", "-bytes", str(MiB))
OPENSSL_CIPHER = ("-evp", "aes-256-gcm")
_OPENSSL_FIGURE = re.compile(r"^\+F:\d+:[^:]+:([0-9.]+)\s*$", re.MULTILINE)


class LengthMismatch(Exception):
    """A download returned another number of bytes than was uploaded."""


class Transfer(Protocol):
    """One way of storing and reading back a file: through the api, or straight to MinIO."""

    label: str
    #: The ``X-Request-ID`` of the last call, where there is an api to log it.
    last_request_id: str | None

    def upload(self, name: str, data: bytes) -> str: ...

    def download(self, ref: str, size: int) -> None: ...


def _check_length(got: int, size: int) -> None:
    if got != size:
        raise LengthMismatch(f"read {got} bytes back, {size} were stored")


class ThroughApi:
    """``POST /api/v1/datasets/{id}/files`` and ``GET /api/v1/items/{id}/content`` with an API key,
    through urllib3 — the HTTP library the raw side's minio client uses, read the same way — so the
    two sides differ only in the server they talk to. Every request carries its own ``X-Request-ID``,
    so the api's access log gives its side's time."""

    label = "proxied"

    def __init__(
        self, pool: urllib3.PoolManager, url: str, authorization: dict[str, str], dataset_id: str
    ) -> None:
        self.pool = pool
        self.url = url
        self.authorization = authorization
        self.dataset_id = dataset_id
        self.last_request_id: str | None = None

    def _headers(self) -> dict[str, str]:
        self.last_request_id = f"bench-{uuid.uuid4().hex}"
        return self.authorization | {"X-Request-ID": self.last_request_id}

    def upload(self, name: str, data: bytes) -> str:
        headers = {"Content-Type": "image/png", "Content-Disposition": f'attachment; filename="{name}.png"'}
        response = self.pool.request(
            "POST",
            f"{self.url}/api/v1/datasets/{self.dataset_id}/files",
            body=data,
            headers=self._headers() | headers,
        )
        if response.status != 201:
            raise RuntimeError(f"upload answered {response.status}: {response.data[:300]!r}")
        return str(response.json()["id"])

    def download(self, ref: str, size: int) -> None:
        response = self.pool.request(
            "GET", f"{self.url}/api/v1/items/{ref}/content", headers=self._headers(), preload_content=False
        )
        try:
            if response.status != 200:
                raise RuntimeError(f"download answered {response.status}: {response.read()[:300]!r}")
            got = sum(len(chunk) for chunk in response.stream(READ_CHUNK))
        finally:
            response.release_conn()
        _check_length(got, size)


class RawMinio:
    """``put_object`` and ``get_object`` of the minio client library the api itself uses, into a bucket
    of the benchmark's own, over the same verified TLS (the suites' client; its one-connection pool
    measured no slower here than the api's pool of 16 for parallel part uploads). ``label`` "relay":
    the same client, sent through nginx (``bench.relay``)."""

    last_request_id: str | None = None

    def __init__(self, minio: Minio, bucket: str, label: str = "raw") -> None:
        self.minio = minio
        self.bucket = bucket
        self.label = label

    def upload(self, name: str, data: bytes) -> str:
        self.minio.put_object(self.bucket, name, io.BytesIO(data), length=len(data))
        return name

    def download(self, ref: str, size: int) -> None:
        response = self.minio.get_object(self.bucket, ref)
        try:
            got = sum(len(chunk) for chunk in response.stream(READ_CHUNK))
        finally:
            response.close()
            response.release_conn()
        _check_length(got, size)


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )


def png(size: int) -> bytes:
    """``size`` bytes the api accepts as a PNG: the signature and IHDR start, then random bytes (which
    neither compress nor deduplicate anywhere on the way)."""
    return PNG_HEAD + os.urandom(size - len(PNG_HEAD))


def _timed(operation: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = operation()
    return value, time.perf_counter() - started


def size_label(size: int) -> str:
    return f"{size // MiB} MiB"


@dataclass
class Runs:
    """The counted repetitions of one file size: seconds per transfer and operation, and the request
    id of each (``None`` for raw MinIO), in the same order."""

    size: int
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    request_ids: dict[str, dict[str, list[str | None]]] = field(default_factory=dict)

    def record(self, transfer: Transfer, operation: str, elapsed: float) -> None:
        self.seconds.setdefault(transfer.label, {}).setdefault(operation, []).append(elapsed)
        ids = self.request_ids.setdefault(transfer.label, {}).setdefault(operation, [])
        ids.append(transfer.last_request_id)

    def samples(self, label: str, operation: str) -> Samples:
        return Samples(self.size, self.seconds[label][operation])


def compare(transfers: tuple[Transfer, ...], size: int, repeats: int, context: Context) -> Runs:
    """Times an upload and a download of a ``size``-byte file by each transfer, ``repeats`` times after
    the warm-up, alternating which goes first."""
    payload = png(size)
    runs = Runs(size)
    task = context.progress.add_task(
        f"storage: {size_label(size)} files, {WARMUP} warm-up + {repeats}", total=WARMUP + repeats
    )
    for repetition in range(WARMUP + repeats):
        order = transfers if repetition % 2 == 0 else transfers[::-1]
        name = f"bench-{size}-{repetition}-{uuid.uuid4().hex[:8]}"
        refs = {}
        for transfer in order:
            upload = partial(transfer.upload, f"{name}-{transfer.label}", payload)
            refs[transfer.label], elapsed = _timed(upload)
            if repetition >= WARMUP:
                runs.record(transfer, "upload", elapsed)
        for transfer in order:
            _, elapsed = _timed(partial(transfer.download, refs[transfer.label], size))
            if repetition >= WARMUP:
                runs.record(transfer, "download", elapsed)
        context.progress.advance(task)
    return runs


def openssl_speed(decrypt: bool) -> dict[str, Any]:
    """AES-256-GCM bytes per second on 1 MiB buffers, one core, from ``openssl speed``."""
    command = [*OPENSSL_SPEED, *(["-decrypt"] if decrypt else []), *OPENSSL_CIPHER]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError) as error:
        return {"command": " ".join(command), "error": str(error), "bytes_s": None, "mib_s": None}
    match = _OPENSSL_FIGURE.search(output)
    bytes_s = float(match.group(1)) if match else None
    return {
        "command": " ".join(command),
        "bytes_s": bytes_s,
        "mib_s": round(bytes_s / MiB, 1) if bytes_s else None,
    }


def _openssl_version() -> str | None:
    try:
        version = ["openssl", "version"]
        return subprocess.run(version, capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None


def api_side_seconds(log: Path) -> dict[str, float]:
    """The api's own duration of each request, by request id, from its access log (JSON lines)."""
    durations = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "request_id" in record and "duration_ms" in record:
            durations[str(record["request_id"])] = float(record["duration_ms"]) / 1000
    return durations


@contextmanager
def _emptied_afterwards(minio: Minio, *buckets: str) -> Iterator[None]:
    """Removes every object of ``buckets``, and the buckets, when the block ends (however it ends)."""
    try:
        yield
    finally:
        for bucket in buckets:
            if not minio.bucket_exists(bucket):
                continue
            for stored in minio.list_objects(bucket, recursive=True):
                minio.remove_object(bucket, str(stored.object_name))
            minio.remove_bucket(bucket)


class StorageBenchmark:
    name = "storage"
    summary = (
        "upload and download through the api against raw MinIO PUT/GET and an nginx relay; AES-256-GCM speed"
    )

    def __init__(
        self,
        api_command: Sequence[str] = (sys.executable, "-m", "enclave.api"),
        api_settings: Mapping[str, str] | None = None,
    ) -> None:
        """``api_command`` starts the api another way (``bench.profile`` runs it under a profiler)."""
        self._api_command = api_command
        self._api_settings = dict(api_settings or {})

    def run(self, context: Context) -> Result:
        repeats = QUICK_REPEATS if context.quick else REPEATS
        console = context.console
        console.log("storage: openssl speed, AES-256-GCM encrypt and decrypt (2 s each)")
        openssl = {"encrypt": openssl_speed(decrypt=False), "decrypt": openssl_speed(decrypt=True)}
        console.log("storage: provisioning an organization and an API key (data:read, data:write)")
        tenant = provision_with_api_key([Scope.DATA_READ, Scope.DATA_WRITE], prefix="bench-storage")
        minio = raw_minio(context.stack)
        raw_bucket = f"bench-raw-{uuid.uuid4().hex[:12]}"
        minio.make_bucket(raw_bucket)
        log = context.work_dir / "api-storage.log"
        runs = []
        with _emptied_afterwards(minio, raw_bucket, bucket_name(tenant.organization_id)):
            console.log(f"storage: starting an api in production mode (log: {log})")
            with (
                running_api_process(
                    context.stack,
                    log,
                    "production",
                    {"ENCLAVE_API_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT), **self._api_settings},
                    command=self._api_command,
                ) as api,
                nginx_relay(context.stack) as relay,
                httpx.Client(
                    base_url=api.url, verify=context.stack.tls, timeout=300, headers=tenant.authorization
                ) as client,
            ):
                response = client.post("/api/v1/datasets", json={"name": "benchmark", "kind": "image"})
                _expect(response, 201)
                pool = urllib3.PoolManager(
                    cert_reqs="CERT_REQUIRED", ca_certs=context.stack.ca_file, retries=False
                )
                through = ThroughApi(pool, api.url, tenant.authorization, str(response.json()["id"]))
                transfers: tuple[Transfer, ...] = (through, RawMinio(minio, raw_bucket))
                if relay is None:
                    raise RuntimeError("the goals are ratios to an nginx relay: `scripts/system-deps bench`")
                console.log(f"storage: raw requests also through nginx at {relay} (the relay ceiling)")
                relayed = raw_minio(context.stack, endpoint=relay)
                transfers = (*transfers, RawMinio(relayed, raw_bucket, label="relay"))
                runs = [compare(transfers, size, repeats[size], context) for size in SIZES]
            console.log("storage: removing the benchmark's objects")
        return summarize(runs, openssl, api_side_seconds(log))


def _parameters(runs: list[Runs]) -> dict[str, Any]:
    return {
        "sizes_bytes": [r.size for r in runs],
        "repeats": {size_label(r.size): len(r.seconds["raw"]["upload"]) for r in runs},
        "warmup": WARMUP,
        "statistic": "median of per-transfer MiB/s (1 MiB = 2^20 bytes), wall clock at the client",
        "order": "proxied and raw alternate; which goes first swaps every repetition",
        "proxied": "urllib3 (as the raw side), HTTP/1.1 keep-alive, verified TLS, API key, production mode",
        "raw": "minio-py put_object / get_object (3 parallel parts above 5 MiB, as the api), verified TLS",
        "relay": "the raw requests through nginx (TLS in, verified TLS to MinIO, request bodies streamed,"
        " responses through memory buffers): the ceiling of any proxy on this machine",
        "nginx": nginx_version(),
        "clients": {name: importlib.metadata.version(name) for name in ("httpx", "minio", "urllib3")},
        "openssl": _openssl_version(),
    }


def summarize(runs: list[Runs], openssl: dict[str, dict[str, Any]], api_side: dict[str, float]) -> Result:
    """The figures, the goals and the two tables of a finished run."""
    figures: dict[str, Any] = {
        "parameters": _parameters(runs),
        "openssl_aes_256_gcm": openssl,
        "sizes": {},
    }
    goals, rows, versus_openssl = [], [], []
    for run in runs:
        entry: dict[str, Any] = {"bytes": run.size}
        for operation in ("upload", "download"):
            proxied, raw = run.samples("proxied", operation), run.samples("raw", operation)
            relay = run.samples("relay", operation)
            goal = Goal(
                f"{size_label(run.size)} {operation}: proxied / nginx relay",
                proxied.median / relay.median,
                REQUIRED,
            )
            goals.append(goal)
            entry[operation] = {
                "proxied": proxied.as_dict(),
                "raw": raw.as_dict(),
                "relay": relay.as_dict(),
                "ratio": round(proxied.median / raw.median, 3),
                "relay_ratio": round(relay.median / raw.median, 3),
                "proxied_vs_relay": round(goal.measured, 3),
                "required": goal.required,
                "met": goal.met,
                "api_side": _api_side(run, operation, api_side),
            }
            cipher = openssl["encrypt" if operation == "upload" else "decrypt"].get("mib_s")
            if cipher:
                entry[operation]["proxied_vs_openssl"] = round(proxied.median / cipher, 3)
                versus_openssl.append((operation, f"{size_label(run.size)}: {proxied.median / cipher:.3f}"))
            rows.append(
                (
                    size_label(run.size),
                    operation,
                    f"{proxied.median:.1f}",
                    f"{relay.median:.1f}",
                    f"{raw.median:.1f}",
                    f"{proxied.median / raw.median:.3f}",
                    f"{relay.median / raw.median:.3f}",
                    f"{goal.measured:.3f}",
                    f"≥ {goal.required:.2f}",
                    goal.verdict,
                )
            )
        figures["sizes"][size_label(run.size)] = entry
    throughput = Table(
        "Storage throughput through the api vs raw MinIO, MiB/s (median)",
        (
            "File",
            "Transfer",
            "Proxied",
            "Relay",
            "Raw MinIO",
            "Proxied / raw",
            "Relay / raw",
            "Proxied / relay",
            "Goal",
            "Result",
        ),
        rows,
        notes=(
            f"Counted repetitions after {WARMUP} warm-up, proxied, relay and raw alternating: "
            + ", ".join(f"{size_label(run.size)} {len(run.seconds['raw']['upload'])}" for run in runs),
            "Relay: the raw requests through nginx (TLS both sides, nothing else), the most any proxy"
            " reaches on this machine; the goal is proxied / relay.",
        ),
    )
    cipher_rows = [
        (
            name,
            f"{openssl[name]['mib_s']:.0f}" if openssl[name].get("mib_s") else "unavailable",
            ", ".join(text for operation, text in versus_openssl if operation == transfer),
        )
        for name, transfer in (("encrypt", "upload"), ("decrypt", "download"))
    ]
    aes = Table(
        "AES-256-GCM on this machine: openssl speed, 1 MiB buffers, one core, wall clock",
        ("Operation", "MiB/s", "Proxied throughput / openssl (informational)"),
        cipher_rows,
    )
    return Result("storage", figures, [throughput, aes], goals)


def _api_side(run: Runs, operation: str, api_side: dict[str, float]) -> dict[str, Any]:
    """The api's own time for the proxied requests of ``run`` (from its access log), next to the
    client's: what the rest (client, TLS, network) took is the difference."""
    ids = run.request_ids["proxied"][operation]
    server = [api_side[i] for i in ids if i is not None and i in api_side]
    if not server:
        return {"found": 0}
    client = run.seconds["proxied"][operation]
    return {
        "found": len(server),
        "median_seconds": round(statistics.median(server), 6),
        "client_median_seconds": round(statistics.median(client), 6),
        "median_mib_s": round(Samples(run.size, server).median, 2),
    }
