"""Verifying an organization's trail in full: the database chain and its signed checkpoints
(``verify``), then the database against the locked copy (``compare``). Shared by ``enclave-audit
verify`` and ``GET /api/v1/audit/verification`` so both give one verdict; must never vouch for a
trail whose locked copy it could not read, nor build a query (the chain is read through ``trail``).
"""

from __future__ import annotations

import uuid

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit_trail.archive import LockedArchive
from enclave.audit_trail.compare import compare_with_archive
from enclave.audit_trail.guard import read_under_guard
from enclave.audit_trail.trail import read_chain
from enclave.audit_trail.verify import Verdict, verify_chain


async def verify_organization(
    session: AsyncSession,
    archive: LockedArchive,
    organization_id: uuid.UUID,
    public_keys: dict[int, str],
    *,
    every_record: bool = False,
) -> Verdict:
    """Raises ``ArchiveUnavailable`` if the locked copy cannot be read: a verification that skipped
    it would vouch for less than it says. ``every_record``: compare every record's search columns
    with its content even where the database's guard stands."""
    (records, checkpoints), guarded = await read_under_guard(
        session, lambda: read_chain(session, organization_id)
    )
    guarded = guarded and not every_record
    verdict = verify_chain(organization_id, records, checkpoints, public_keys, copies_guarded=guarded)
    archived = await anyio.to_thread.run_sync(archive.read, organization_id)
    verdict.locked_segments = len(archived.segments)
    if verdict.ok:
        disagreement = compare_with_archive(organization_id, records, checkpoints, archived, public_keys)
        if disagreement is not None:
            verdict.problem, verdict.bad_seq = disagreement.problem, disagreement.seq
    return verdict
