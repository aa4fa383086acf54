"""Reading an organization's stored trail back, in order, for verification (and, later, export)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.verify import StoredCheckpoint, StoredRecord
from enclave.db.models import AuditCheckpointRow, AuditLogRow


async def read_chain(
    session: AsyncSession, organization_id: uuid.UUID
) -> tuple[list[StoredRecord], list[StoredCheckpoint]]:
    rows = await session.execute(
        select(
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
        .where(AuditLogRow.organization_id == organization_id)
        .order_by(AuditLogRow.seq)
    )
    records = [
        StoredRecord(int(r[0]), r[1], r[2], r[3], r[4], r[5], bytes(r[6]), bytes(r[7]), bytes(r[8]))
        for r in rows
    ]
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
