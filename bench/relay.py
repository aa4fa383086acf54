"""The ceiling of any TLS proxy on this machine: nginx relaying raw MinIO requests, TLS on both sides.

The storage goals compare a proxy (the api) with talking to MinIO directly. Part of what the api
pays is not its own work but the relay itself: a second TLS connection, every byte read and written
once more, on the same cores as the client and MinIO. To tell the two apart, the storage benchmark
also sends its raw PUTs and GETs through nginx — a proxy written in C that does nothing else: no
authentication, no database, no encryption — with verified TLS to MinIO, as the api has. What nginx
reaches against raw MinIO is the most any proxy here could reach.

Owns one nginx process for the length of a benchmark, in a temporary folder of its own; must never listen
beyond loopback or accept an unverified MinIO.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.integration.stack import Stack
from tests.support.api_process import free_port, stop_process

START_TIMEOUT_S = 15


def nginx_version() -> str | None:
    """``nginx -v`` (it prints to standard error), or None where nginx is not installed."""
    nginx = shutil.which("nginx")
    if nginx is None:
        return None
    done = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stderr.strip().removeprefix("nginx version: ") or None


def relay_config(listen_port: int, upstream: str, cert: str, key: str, ca: str, work: Path) -> str:
    """An nginx configuration that relays everything to ``upstream`` (host:port of MinIO) unchanged —
    the Host header too, so MinIO's request signatures still match — over kept-alive, verified TLS.

    Request bodies stream through unbuffered. Responses go through memory buffers (never a temporary
    file): with ``proxy_buffering off`` nginx reads a response one 4 KiB page at a time, and measured
    here that made the relay look slower than it is (100 MiB GET at 0.36 of raw MinIO instead of
    0.55 to 0.63, 1 MiB at 0.58 instead of 0.60 to 0.71). Of the buffer sizes tried (64 KiB to 1 MiB), these
    did best; the ceiling is what the best-tuned relay reaches, not a default one."""
    return f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream minio {{
        server {upstream};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_max_body_size 0;
        location / {{
            proxy_pass https://minio;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_buffering on;
            proxy_buffer_size 256k;
            proxy_buffers 256 256k;
            proxy_busy_buffers_size 8m;
            proxy_max_temp_file_size 0;
            output_buffers 4 1m;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate {ca};
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;
        }}
    }}
}}
"""


@contextmanager
def nginx_relay(stack: Stack) -> Iterator[str | None]:
    """Yields ``localhost:<port>`` of an nginx relaying to the stack's MinIO, or None where nginx is
    not installed (the benchmark then reports no ceiling). Stopped, and its folder removed, when the
    block ends."""
    nginx = shutil.which("nginx")
    if nginx is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="enclave-relay-") as folder:
        work = Path(folder)
        # Readable by nginx's workers, which drop root (nothing secret is written here).
        work.chmod(0o755)
        with _running(nginx, stack, work) as endpoint:
            yield endpoint


@contextmanager
def _running(nginx: str, stack: Stack, work: Path) -> Iterator[str]:
    port = free_port()
    tls = Path(stack.env["ENCLAVE_API_TLS_CERT_FILE"]).parent
    config = work / "nginx.conf"
    config.write_text(
        relay_config(
            port,
            stack.env["ENCLAVE_S3_ENDPOINT"].removeprefix("https://"),
            str(tls / "api.crt"),
            str(tls / "api.key"),
            stack.ca_file,
            work,
        )
    )
    with (work / "nginx.log").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [nginx, "-p", str(work), "-c", str(config), "-g", "daemon off;"],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        _wait_until_listening(process, port, stack, work)
        yield f"localhost:{port}"
    finally:
        stop_process(process)


def _errors(work: Path) -> str:
    log = work / "error.log"
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(nginx wrote no error log)"


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, stack: Stack, work: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            # MinIO's liveness probe, relayed: proves both TLS hops work before anything is timed.
            response = httpx.get(f"https://localhost:{port}/minio/health/live", verify=stack.tls, timeout=2)
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx (the relay) did not start:\n{_errors(work)}") from None
            time.sleep(0.2)
            continue
        if response.status_code != 200:
            raise RuntimeError(f"the relay answered {response.status_code}:\n{_errors(work)}")
        return
