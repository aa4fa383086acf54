"""One readiness probe per component the api depends on, each over verified TLS.

Owns how readiness is measured: a real round trip to PostgreSQL, Redis, the S3 service, the Vault
server and Keycloak, with a timeout, reported as ``ok`` or ``down`` with a short reason. Must never
put a secret, a host's internal error text or a stack trace into a reason: reasons are chosen from a
fixed vocabulary by :func:`describe_failure`, nor build a query (PostgreSQL's round trip is
``db.repositories.health.ping``).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import httpx
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from enclave.db.repositories.health import ping
from enclave.settings import Settings

Status = Literal["ok", "down"]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: Status
    latency_ms: float
    reason: str | None = None


class ProbeFailed(Exception):
    """A component answered, but not as a healthy one does (the message is safe to show)."""


def describe_failure(error: BaseException) -> str:
    """A short, fixed description of why a probe failed; never the exception's own text."""
    if isinstance(error, ProbeFailed):
        return str(error)
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in repr(error):
        return "TLS certificate verification failed"
    if isinstance(error, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(error, ConnectionRefusedError | httpx.ConnectError | aioredis.ConnectionError):
        return "connection refused or unreachable"
    if isinstance(error, aioredis.AuthenticationError):
        return "authentication failed"
    if isinstance(error, OSError):
        return "connection failed"
    return "unexpected error"


async def _timed(check: Callable[[], Awaitable[None]], limit_s: float) -> ProbeResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), limit_s)
    except Exception as error:  # noqa: BLE001 — every failure is reported as "down", never raised
        return ProbeResult("down", round((time.perf_counter() - started) * 1000, 1), describe_failure(error))
    return ProbeResult("ok", round((time.perf_counter() - started) * 1000, 1))


class ReadinessProbes:
    """Checks the five components; built once per process and shared by requests."""

    def __init__(
        self, settings: Settings, engine: AsyncEngine, tls: ssl.SSLContext, redis: aioredis.Redis
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._http = httpx.AsyncClient(verify=tls, timeout=settings.api.health_timeout_s)
        self._redis = redis  # the api's one Redis client; its owner closes it

    async def close(self) -> None:
        await self._http.aclose()

    async def postgres(self) -> None:
        async with self._engine.connect() as connection:
            await ping(connection)

    async def redis(self) -> None:
        if not await self._redis.ping():
            raise ProbeFailed("no PONG")

    async def _get(self, url: str, healthy: Callable[[httpx.Response], str | None]) -> None:
        problem = healthy(await self._http.get(url))
        if problem:
            raise ProbeFailed(problem)

    async def minio(self) -> None:
        await self._get(f"{self._settings.s3.endpoint}/minio/health/ready", _expect_200)

    async def vault(self) -> None:
        await self._get(f"{self._settings.vault.url}/v1/sys/health", _vault_state)

    async def keycloak(self) -> None:
        await self._get(
            f"{self._settings.keycloak.url}/realms/master/.well-known/openid-configuration", _expect_200
        )

    async def check_all(self) -> dict[str, ProbeResult]:
        timeout = self._settings.api.health_timeout_s
        checks = {
            "postgres": self.postgres,
            "redis": self.redis,
            "minio": self.minio,
            "vault": self.vault,
            "keycloak": self.keycloak,
        }
        results = await asyncio.gather(*(_timed(check, timeout) for check in checks.values()))
        return dict(zip(checks, results, strict=True))


def _expect_200(response: httpx.Response) -> str | None:
    return None if response.status_code == 200 else f"answered HTTP {response.status_code}"


def _vault_state(response: httpx.Response) -> str | None:
    # /v1/sys/health encodes the server's state in its status code.
    return {
        200: None,
        429: None,  # an unsealed standby can serve reads
        501: "not initialised",
        503: "sealed",
    }.get(response.status_code, f"answered HTTP {response.status_code}")
