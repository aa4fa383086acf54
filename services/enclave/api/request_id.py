"""Request ids and the access log: every request gets an id, every log line of it carries it, every
response returns it, and one JSON line records method, path, status and duration.

Owns the ``X-Request-ID`` header. A caller's id is kept only if it is a short token of safe
characters (so it can never inject into logs); otherwise a fresh one is made.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
log = structlog.get_logger("enclave.access")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        method = scope["method"]
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await app(scope, receive, send_with_id)
            finally:
                # The path only: query strings may carry filters a user typed, so they stay out.
                log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )

    return middleware
