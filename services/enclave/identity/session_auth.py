"""Browser sessions as credentials: the ``__Host-`` cookie, and the CSRF token for changes.

The cookie is HttpOnly, Secure, SameSite=Lax and host-only (``__Host-`` prefix): scripts cannot read
it and no other host can set it. State-changing requests must also carry ``X-CSRF-Token`` equal to
the session's token (which the page reads from ``GET /auth/session``), so a cross-site form cannot
act for the user. The session read here is also left in the request's state for the step-up check.
Every ``SessionSettings.account_check_interval_s`` a session asks Keycloak (a token refresh) whether
its account is still enabled there: disabled or deleted in Keycloak, the session ends.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import structlog
from litestar.connection import ASGIConnection

from enclave.domain.errors import Unavailable
from enclave.identity.login import LoginService
from enclave.identity.sessions import BrowserSession, SessionStore
from enclave.web.claims import Claim
from enclave.web.guard import SIGN_IN, SignIn

COOKIE = "__Host-enclave_session"
CSRF_HEADER = "x-csrf-token"
log = structlog.get_logger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _confirmed_by_keycloak(
    connection: ASGIConnection[Any, Any, Any, Any],
    store: SessionStore,
    session_id: str,
    session: BrowserSession,
) -> BrowserSession | None:
    """The session once Keycloak confirmed its account is still enabled; None (and the session ended)
    when Keycloak refuses. When Keycloak cannot be asked, the request fails closed with the 503 of
    ``Unavailable`` (the session is kept: the person is not signed out by an outage)."""
    login: LoginService = connection.app.state.login
    try:
        confirmed = await login.account_still_active(session)
    except Unavailable:
        log.warning("identity.session.unconfirmed")
        raise
    if confirmed is None:
        await store.delete(session_id)
        log.info("identity.session.ended_by_keycloak")
        return None
    return confirmed if await store.replace(session_id, confirmed) else None


async def claim_from_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Claim | None:
    session_id = connection.cookies.get(COOKIE)
    if not session_id:
        return None
    store: SessionStore = connection.app.state.sessions
    session = await store.get(session_id)
    if session is None:
        return None
    interval = connection.app.state.settings.session.account_check_interval_s
    if time.time() - session.checked_at >= interval:
        session = await _confirmed_by_keycloak(connection, store, session_id, session)
        if session is None:
            return None
    # The guard's step-up check reads when this session's person last signed in, and how.
    connection.scope.setdefault("state", {})[SIGN_IN] = SignIn(session.auth_time, session.second_factor)
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
