"""Comparing the database's chain with the trail's locked copy (``audit.archive``).

The database chain can be rewritten consistently by someone with superuser rights only up to the last
signed checkpoint, and even that is caught by the signatures; but deleting an organization's whole
trail, or its tail together with the checkpoints over it, leaves a chain that verifies. The locked
copy cannot be deleted, so comparing with it catches exactly that: every record and checkpoint in the
copy must be in the database, unchanged, and every checkpoint in the database must be in the copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from enclave.audit_trail.archive import ArchivedTrail
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord, verify_chain


@dataclass(frozen=True)
class Disagreement:
    #: The record (sequence number) the problem is about; None for the copy as a whole.
    seq: int | None
    problem: str


def compare_with_archive(
    organization_id: uuid.UUID,
    records: list[StoredRecord],
    checkpoints: list[StoredCheckpoint],
    archived: ArchivedTrail,
    public_keys: dict[int, str],
) -> Disagreement | None:
    """The first disagreement (lowest record first) between the database and the locked copy."""
    if archived.problems:
        return Disagreement(None, f"the locked copy holds a damaged segment: {archived.problems[0]}")
    locked_records: dict[int, bytes] = {}
    locked_checkpoints: dict[int, bytes] = {}
    found: list[Disagreement] = []
    for segment in archived.segments:
        verdict = verify_chain(
            organization_id, segment.records, segment.checkpoints, public_keys, partial=True
        )
        last = segment.records[-1].seq if segment.records else 0
        if not verdict.ok or verdict.covered < last or not segment.checkpoints:
            why = verdict.problem or "it is not covered by its signed checkpoint"
            return Disagreement(verdict.bad_seq, f"the locked segment {segment.name} does not verify: {why}")
        for record in segment.records:
            if locked_records.setdefault(record.seq, record.hash) != record.hash:
                found.append(Disagreement(record.seq, f"record {record.seq} has two different locked copies"))
        for checkpoint in segment.checkpoints:
            locked_checkpoints[checkpoint.seq] = checkpoint.head_hash

    stored = {record.seq: record.hash for record in records}
    for seq, digest in locked_records.items():
        if seq not in stored:
            found.append(
                Disagreement(seq, f"record {seq} is in the locked copy but not in the database (removed)")
            )
        elif stored[seq] != digest:
            found.append(Disagreement(seq, f"record {seq} differs from its locked copy"))
    signed = {checkpoint.seq: checkpoint.head_hash for checkpoint in checkpoints}
    for seq, head in locked_checkpoints.items():
        if seq not in signed:
            found.append(
                Disagreement(
                    seq, f"the checkpoint at record {seq} is in the locked copy but not in the database"
                )
            )
        elif signed[seq] != head:
            found.append(Disagreement(seq, f"the checkpoint at record {seq} differs from its locked copy"))
    found.extend(
        Disagreement(seq, f"the checkpoint at record {seq} has no locked copy")
        for seq in signed
        if seq not in locked_checkpoints
    )
    return min(found, key=lambda d: d.seq or 0, default=None)
