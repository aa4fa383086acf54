"""Turns a request's credentials into a ``Claim`` (or none), before routing.

The authenticators are chosen once, at start-up, from the api's mode: in production there is no test
hook, whatever a request sends. A request with no valid credentials simply has no claim; the guard
answers 401 on protected routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from enclave.api.auth.test_hook import claim_from_test_header
from enclave.identity.session_auth import claim_from_session
from enclave.settings import Mode
from enclave.web.api_key_auth import claim_from_api_key
from enclave.web.claims import Claim

Authenticator = Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[Claim | None]]


async def _test_header(connection: ASGIConnection[Any, Any, Any, Any]) -> Claim | None:
    return claim_from_test_header(connection)


def authenticators_for(mode: Mode) -> tuple[Authenticator, ...]:
    """API keys and sessions always; the test-only header only in test mode."""
    if mode is Mode.TEST:
        return (claim_from_api_key, claim_from_session, _test_header)
    return (claim_from_api_key, claim_from_session)


def authentication_middleware(authenticators: tuple[Authenticator, ...]) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and authenticators:  # type: ignore[comparison-overlap]
                connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
                for authenticate in authenticators:
                    claim = await authenticate(connection)
                    if claim is not None:
                        scope.setdefault("state", {})["claim"] = claim
                        break
            await app(scope, receive, send)

        return middleware

    return factory
