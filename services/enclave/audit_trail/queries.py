"""Reading an organization's trail as the api's role (row-level security shows it its own only):
search with filters, the stretch an export covers, and that stretch's records and checkpoints.

Owns turning the log's rows into what Admins read (``view``) and into records that verify
(``StoredRecord``), the search's cursor, and the rule that an export runs on to the next signed
checkpoint. The statements are the log repository's (``db.repositories.audit_log``); must never
build a query, nor write the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.events import parse
from enclave.audit_trail.schemas import AuditEventView
from enclave.audit_trail.trail import stored_checkpoints, stored_records
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.db.repositories.audit_log import AuditLogRepository, TrailFilter
from enclave.domain.errors import InvalidInput

_EXPORT_BATCH = 1000


def view(seq: int, content: bytes) -> AuditEventView:
    event = parse(content).event
    return AuditEventView(
        seq=seq,
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action.value,
        target=event.target,
        outcome=event.outcome.value,
        source=event.source,
        user_agent=event.user_agent,
        request_id=event.request_id,
        details=dict(event.details),
    )


class TrailQueries:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self._log = AuditLogRepository(session, organization_id)

    async def search(
        self, found: TrailFilter, cursor: str | None, limit: int
    ) -> tuple[list[AuditEventView], str | None]:
        if cursor is not None and not cursor.isdigit():
            raise InvalidInput("The cursor is not one this api gave out.")
        rows = await self._log.search(found, None if cursor is None else int(cursor), limit + 1)
        items = [view(seq, content) for seq, content in rows[:limit]]
        return items, (str(items[-1].seq) if len(rows) > limit else None)

    async def export_range(
        self, since: dt.datetime | None, until: dt.datetime | None
    ) -> tuple[int, int] | None:
        """(first, last) sequence numbers to export: the records in the range, then up to the next
        signed checkpoint, so a signature vouches for each; None if the range holds no record."""
        bounds = await self._log.bounds(since, until)
        if bounds is None:
            return None
        first, last = bounds
        covering = await self._log.first_checkpoint_from(last)
        return first, covering if covering is not None else last

    async def records(self, first: int, last: int) -> AsyncIterator[StoredRecord]:
        after = first - 1
        while after < last:
            rows = await self._log.records(after + 1, last, limit=_EXPORT_BATCH)
            if not rows:
                return
            for record in stored_records(rows):
                yield record
            after = int(rows[-1][0])

    async def checkpoints(self, first: int, last: int) -> list[StoredCheckpoint]:
        return stored_checkpoints(await self._log.checkpoints(first, last))
