"""The annotators' HTTP client: what every simulated annotator of either platform takes and submits
tasks with (``Platform.next_task``, ``Platform.submit_box``), one keep-alive connection each.

Why aiohttp here when the rest of the harness uses httpx: the load generator runs on the same two
cores as the server it measures, so every millisecond of its CPU is taken from that server. Measured
on this machine (16 connections, keep-alive, 4,000 POSTs in a row, alternating twice): httpx used 1.04
and 1.18 ms of the load generator's CPU per request, aiohttp 0.21 and 0.26 ms. Both platforms'
annotators use this client, so the comparison stays like for like; setup, imports, the task list and
exports keep httpx (they are not where the load generator competes with the server).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

#: What a request that got no answer raises: the connection failed or closed, or the time ran out.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


class StatusError(Exception):
    """An answer with an error status (``raise_for_status``)."""

    def __init__(self, method: str, path: str, status: int, text: str) -> None:
        super().__init__(f"{method} {path}: {status} {text[:300]}")
        self.status_code = status


@dataclass(frozen=True, slots=True)
class Reply:
    method: str
    path: str
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def raise_for_status(self) -> None:
        if self.status >= 400:
            raise StatusError(self.method, self.path, self.status, self.body.decode(errors="replace"))


class AnnotatorClient:
    """One annotator's connection to ``base_url`` (no trailing slash), sending ``authorization`` with
    every request; ``tls`` verifies an https server (None: the platform is served over plain http)."""

    def __init__(
        self, base_url: str, authorization: str, tls: ssl.SSLContext | None, timeout_s: float
    ) -> None:
        self._base = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=tls if tls is not None else True, limit=1),
            headers={"Authorization": authorization},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        )

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None
    ) -> Reply:
        """The whole answer, read; raises one of ``TRANSPORT_ERRORS`` when there is none."""
        async with self._session.request(method, self._base + path, json=json, params=params) as response:
            return Reply(method, path, response.status, await response.read())

    async def close(self) -> None:
        await self._session.close()
