"""Reading an organization's trail as the api's role (row-level security shows it its own only):
search with filters, and the stretch an export covers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.events import parse
from enclave.audit_trail.schemas import AuditEventView
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.db.models import AuditCheckpointRow, AuditLogRow
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
        self.session = session
        self.organization_id = organization_id

    def _records(self) -> Select[int, bytes]:
        return select(AuditLogRow.seq, AuditLogRow.content).where(
            AuditLogRow.organization_id == self.organization_id
        )

    async def search(
        self,
        *,
        since: dt.datetime | None,
        until: dt.datetime | None,
        actor: str | None,
        action: str | None,
        target: str | None,
        outcome: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[AuditEventView], str | None]:
        statement = self._records()
        for column, value in (
            (AuditLogRow.actor, actor),
            (AuditLogRow.action, action),
            (AuditLogRow.target, target),
            (AuditLogRow.outcome, outcome),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if since is not None:
            statement = statement.where(AuditLogRow.occurred_at >= since)
        if until is not None:
            statement = statement.where(AuditLogRow.occurred_at < until)
        if cursor is not None:
            if not cursor.isdigit():
                raise InvalidInput("The cursor is not one this api gave out.")
            statement = statement.where(AuditLogRow.seq > int(cursor))
        rows = (await self.session.execute(statement.order_by(AuditLogRow.seq).limit(limit + 1))).all()
        items = [view(int(seq), bytes(content)) for seq, content in rows[:limit]]
        return items, (str(items[-1].seq) if len(rows) > limit else None)

    async def export_range(
        self, since: dt.datetime | None, until: dt.datetime | None
    ) -> tuple[int, int] | None:
        """(first, last) sequence numbers to export: the records in the range, then up to the next
        signed checkpoint, so a signature vouches for each; None if the range holds no record."""
        bounds = select(func.min(AuditLogRow.seq), func.max(AuditLogRow.seq)).where(
            AuditLogRow.organization_id == self.organization_id
        )
        if since is not None:
            bounds = bounds.where(AuditLogRow.occurred_at >= since)
        if until is not None:
            bounds = bounds.where(AuditLogRow.occurred_at < until)
        first, last = (await self.session.execute(bounds)).one()
        if first is None:
            return None
        covering = (
            await self.session.execute(
                select(func.min(AuditCheckpointRow.seq)).where(
                    AuditCheckpointRow.organization_id == self.organization_id, AuditCheckpointRow.seq >= last
                )
            )
        ).scalar_one_or_none()
        return int(first), int(covering if covering is not None else last)

    async def records(self, first: int, last: int) -> AsyncIterator[StoredRecord]:
        after = first - 1
        while after < last:
            rows = (
                (
                    await self.session.execute(
                        select(AuditLogRow)
                        .where(
                            AuditLogRow.organization_id == self.organization_id,
                            AuditLogRow.seq > after,
                            AuditLogRow.seq <= last,
                        )
                        .order_by(AuditLogRow.seq)
                        .limit(_EXPORT_BATCH)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            for row in rows:
                yield StoredRecord(
                    int(row.seq), row.event_id, row.action, row.actor, row.target, row.outcome,
                    bytes(row.content), bytes(row.prev_hash), bytes(row.hash),
                )  # fmt: skip
            after = int(rows[-1].seq)

    async def checkpoints(self, first: int, last: int) -> list[StoredCheckpoint]:
        rows = (
            (
                await self.session.execute(
                    select(AuditCheckpointRow)
                    .where(
                        AuditCheckpointRow.organization_id == self.organization_id,
                        AuditCheckpointRow.seq >= first,
                        AuditCheckpointRow.seq <= last,
                    )
                    .order_by(AuditCheckpointRow.seq)
                )
            )
            .scalars()
            .all()
        )
        return [StoredCheckpoint(int(r.seq), bytes(r.head_hash), r.signature) for r in rows]
