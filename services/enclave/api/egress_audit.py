"""Egress refusals in the audit trail: a connection the egress guard refused while serving an
organization's request is recorded in that organization's trail, as well as logged.

The guard (:mod:`enclave.egress`) refuses and logs in whatever thread tried to connect, where no
transaction can be written; this middleware opens a :func:`~enclave.egress.witness` for each request,
and when the request is over records one ``security:egress:refused`` event (outcome failure) per
endpoint refused (at most ten), in a transaction of its own: the request itself failed and wrote
nothing, the record of the attempt must stay. A refusal before the caller was known (no principal)
has no organization to be recorded in: it stays in the security log only. Must never let recording
fail the response (it is already sent): a failure to record is logged as an error.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from enclave import egress
from enclave.audit.actions import AuditAction, Outcome
from enclave.authz.principal import Principal
from enclave.web.audit import record_own_transaction

log = structlog.get_logger(__name__)


def egress_audit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan: no request to witness
            await app(scope, receive, send)
            return
        refusals = egress.witness()
        try:
            await app(scope, receive, send)
        finally:
            if refusals:
                await _record(scope, refusals)

    return middleware


async def _record(scope: Scope, refusals: list[egress.Refusal]) -> None:
    principal: Principal | None = scope.get("state", {}).get("principal")
    if principal is None:
        return
    request: Request[Any, Any, Any] = Request(scope)
    try:
        for endpoint in egress.refused_endpoints(refusals):
            await record_own_transaction(
                request,
                principal.organization_id,
                principal.user_id,
                AuditAction.SECURITY_EGRESS_REFUSED,
                {"call": endpoint.via, "attempts": endpoint.attempts},
                via=principal.via,
                target=f"endpoint:{endpoint.where}",
                outcome=Outcome.FAILURE,
            )
    except Exception:  # the response is sent; the refusal is in the security log already
        log.exception("security.egress_refusal_unrecorded", refusals=len(refusals))
