"""Reading an organization's stored trail back, in order: for verification, and to seal a segment.

Owns turning the log repository's rows (``db.repositories.audit_log``) into the records and
checkpoints that verify (``StoredRecord``, ``StoredCheckpoint``). Must never build a query, nor write
the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.db.models import AuditCheckpointRow
from enclave.db.repositories.audit_log import AuditLogRepository


def stored_records(rows: Iterable[Sequence[Any]]) -> list[StoredRecord]:
    """Records from the repository's rows (its columns in ``StoredRecord``'s order)."""
    return [
        StoredRecord(int(r[0]), r[1], r[2], r[3], r[4], r[5], bytes(r[6]), bytes(r[7]), bytes(r[8]))
        for r in rows
    ]


def stored_checkpoints(rows: Iterable[AuditCheckpointRow]) -> list[StoredCheckpoint]:
    return [StoredCheckpoint(int(c.seq), bytes(c.head_hash), c.signature) for c in rows]


async def read_records(
    session: AsyncSession, organization_id: uuid.UUID, first: int, last: int
) -> list[StoredRecord]:
    """Records ``first..last`` of the organization's chain, in order."""
    return stored_records(await AuditLogRepository(session, organization_id).records(first, last))


async def read_chain(
    session: AsyncSession, organization_id: uuid.UUID
) -> tuple[list[StoredRecord], list[StoredCheckpoint]]:
    chain = AuditLogRepository(session, organization_id)
    return stored_records(await chain.records()), stored_checkpoints(await chain.checkpoints())
