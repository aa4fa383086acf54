"""Browser sessions as credentials: the ``__Host-`` cookie, and the CSRF token for changes.

The cookie is HttpOnly, Secure, SameSite=Lax and host-only (``__Host-`` prefix): scripts cannot read
it and no other host can set it. State-changing requests must also carry ``X-CSRF-Token`` equal to
the session's token (which the page reads from ``GET /auth/session``), so a cross-site form cannot
act for the user.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection

from enclave.identity.sessions import SessionStore
from enclave.web.claims import Claim

COOKIE = "__Host-enclave_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def claim_from_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Claim | None:
    session_id = connection.cookies.get(COOKIE)
    if not session_id:
        return None
    store: SessionStore = connection.app.state.sessions
    session = await store.get(session_id)
    if session is None:
        return None
    method = connection.scope.get("method", "GET")
    sent = connection.headers.get(CSRF_HEADER, "")
    csrf_ok = method in SAFE_METHODS or hmac.compare_digest(sent.encode(), session.csrf_token.encode())
    return Claim(
        organization_id=session.organization_id,
        user_id=session.user_id,
        via="session",
        second_factor=session.second_factor,
        csrf_ok=csrf_ok,
    )
