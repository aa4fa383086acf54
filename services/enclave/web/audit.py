"""Every audited route records one event, in the request's own transaction, when it succeeds.

A route declares its action beside its permission — ``opt=access(P.X, T.Y) | audited(A.X)`` — and a
test walks the route table so that no change goes unaudited. The request's session dependency writes
the event just before it commits, so the record and the change it describes commit together or not
at all. A handler that creates something names it (``audit.note(target=...)``) and may add details:
identifiers, counts and settings only, never a secret or customer content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import Detail
from enclave.audit.recorder import AuditRecorder, RequestFacts
from enclave.authz.principal import Principal
from enclave.db.session import bind_tenant

AUDIT = "audit"
_NOTE = "audit_note"
#: Path parameters that name a route's target, most specific first.
_TARGETS = ("task_id", "item_id", "key_id", "user_id", "dataset_id", "ontology_id", "project_id", "alias")


def audited(action: AuditAction) -> dict[str, Any]:
    """The ``opt`` entry of an audited route (merge it with ``access(...)``)."""
    return {AUDIT: action}


@dataclass
class AuditNote:
    """What a handler adds to its route's event: the target it created, and details."""

    target: str | None = None
    details: dict[str, Detail] = field(default_factory=dict)
    #: Set when the request turned out to change nothing (an idempotent retry, an empty queue).
    suppressed: bool = False

    def note(self, *, target: str | None = None, **details: Detail) -> None:
        if target is not None:
            self.target = target
        self.details.update(details)

    def suppress(self) -> None:
        self.suppressed = True


def provide_audit_note(request: Request[Any, Any, Any]) -> AuditNote:
    state = request.scope.setdefault("state", {})
    note: AuditNote = state.setdefault(_NOTE, AuditNote())
    return note


def request_facts(
    request: Request[Any, Any, Any], organization_id: uuid.UUID, actor: str, via: str | None
) -> RequestFacts:
    client = request.scope.get("client")
    return RequestFacts(
        organization_id=organization_id,
        actor=actor,
        source=client[0] if client else None,
        user_agent=request.headers.get("user-agent"),
        request_id=request.scope.get("state", {}).get("request_id"),
        via=via,
    )


async def record_route_event(request: Request[Any, Any, Any], session: AsyncSession) -> None:
    """Writes the event of a successful audited request into its transaction (before the commit)."""
    action: AuditAction | None = request.route_handler.opt.get(AUDIT)
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if action is None or principal is None:
        return
    note = provide_audit_note(request)
    if note.suppressed:
        return
    target = note.target or _default_target(request, principal)
    facts = request_facts(request, principal.organization_id, f"user:{principal.user_id}", principal.via)
    operation = str(request.route_handler.operation_id)
    await AuditRecorder(session, facts).record(action, target, {"operation": operation, **note.details})


def _default_target(request: Request[Any, Any, Any], principal: Principal) -> str:
    for name in _TARGETS:
        value = request.path_params.get(name)
        if value is not None:
            return f"{name.removesuffix('_id')}:{value}"
    return f"organization:{principal.organization_id}"


async def record_own_transaction(
    request: Request[Any, Any, Any],
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    action: AuditAction,
    details: dict[str, Detail] | None = None,
    *,
    via: str | None = "session",
    target: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> None:
    """Records an event of a request outside its own transaction (sign-in, sign-out; what a failed
    request did that must stay on record) in a transaction of its own, committed before the caller
    goes on: if it cannot be written, the action does not happen. ``target``: the user by default."""
    factory = request.app.state.session_factory
    async with factory() as session, session.begin():
        await bind_tenant(session, organization_id, user_id)
        facts = request_facts(request, organization_id, f"user:{user_id}", via)
        await AuditRecorder(session, facts).record(
            action, target or f"user:{user_id}", details, outcome=outcome
        )
