"""The api's side of the trail: one outbox row per action, in the same transaction as the change it
describes, so an action whose record cannot be written does not happen, and a rolled-back change
leaves no record. Owns what an event says of its request (``RequestFacts``); the INSERT is the outbox
repository's (``db.repositories.audit_outbox``). Must never put a secret or customer content in an
event, nor read the outbox back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import AuditEvent, Detail
from enclave.db.repositories.audit_outbox import add_event

MAX_USER_AGENT = 300


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """Who and where: the same for every event of one request."""

    organization_id: uuid.UUID
    actor: str
    source: str | None
    user_agent: str | None
    request_id: str | None
    via: str | None = None


class AuditRecorder:
    def __init__(self, session: AsyncSession, facts: RequestFacts) -> None:
        self._session = session
        self._facts = facts

    async def record(
        self,
        action: AuditAction,
        target: str,
        details: Mapping[str, Detail] | None = None,
        *,
        outcome: Outcome = Outcome.SUCCESS,
    ) -> None:
        """Adds the event to the current transaction. ``details``: identifiers, counts, settings —
        never a secret or customer content."""
        facts = self._facts
        details = dict(details or {})
        if facts.via is not None:
            details = {"via": facts.via, **details}
        event = AuditEvent(
            event_id=uuid.uuid4(),
            organization_id=facts.organization_id,
            occurred_at=dt.datetime.now(dt.UTC),
            actor=facts.actor,
            action=action,
            target=target,
            outcome=outcome,
            source=facts.source,
            user_agent=facts.user_agent[:MAX_USER_AGENT] if facts.user_agent else None,
            request_id=facts.request_id,
            details=details,
        )
        # Every changing request runs this: one raw prepared INSERT, nothing read back.
        await add_event(
            self._session, event.event_id, event.organization_id, msgspec.json.encode(event).decode()
        )
