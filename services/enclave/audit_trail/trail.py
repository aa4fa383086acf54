"""Reading an organization's stored trail back, in order: for verification, and to seal a segment."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.db.models import AuditCheckpointRow, AuditLogRow

_COLUMNS = (
    AuditLogRow.seq,
    AuditLogRow.event_id,
    AuditLogRow.action,
    AuditLogRow.actor,
    AuditLogRow.target,
    AuditLogRow.outcome,
    AuditLogRow.content,
    AuditLogRow.prev_hash,
    AuditLogRow.hash,
)


def _stored(rows: Iterable[Sequence[Any]]) -> list[StoredRecord]:
    return [
        StoredRecord(int(r[0]), r[1], r[2], r[3], r[4], r[5], bytes(r[6]), bytes(r[7]), bytes(r[8]))
        for r in rows
    ]


async def read_records(
    session: AsyncSession, organization_id: uuid.UUID, first: int, last: int
) -> list[StoredRecord]:
    """Records ``first..last`` of the organization's chain, in order."""
    query = (
        select(*_COLUMNS)
        .where(
            AuditLogRow.organization_id == organization_id,
            AuditLogRow.seq >= first,
            AuditLogRow.seq <= last,
        )
        .order_by(AuditLogRow.seq)
    )
    return _stored(await session.execute(query))


async def read_chain(
    session: AsyncSession, organization_id: uuid.UUID
) -> tuple[list[StoredRecord], list[StoredCheckpoint]]:
    query = select(*_COLUMNS).where(AuditLogRow.organization_id == organization_id)
    records = _stored(await session.execute(query.order_by(AuditLogRow.seq)))
    checkpoints = [
        StoredCheckpoint(int(c.seq), bytes(c.head_hash), c.signature)
        for c in (
            await session.execute(
                select(AuditCheckpointRow)
                .where(AuditCheckpointRow.organization_id == organization_id)
                .order_by(AuditCheckpointRow.seq)
            )
        ).scalars()
    ]
    return records, checkpoints
