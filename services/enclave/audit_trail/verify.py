"""Verifying a trail: every record's hash, the chain's links and numbering, the search columns
against the hashed content, and every checkpoint's signature — naming the first record that is wrong.

Works on rows from the database or from an export (JSON lines), with only the checkpoint key's public
half: nothing here needs Vault or any secret.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from enclave.audit.events import FORMAT, GENESIS, HASH_LABEL, AuditEvent, chain_hash, checkpoint_message
from enclave.audit_trail.signer import verify_signature


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One stored record as read back: the hashed content and the copies kept beside it."""

    seq: int
    event_id: uuid.UUID
    action: str
    actor: str
    target: str
    outcome: str
    content: bytes
    prev_hash: bytes
    hash: bytes

    @classmethod
    def of(cls, seq: int, event: AuditEvent, content: bytes, prev_hash: bytes, hash: bytes) -> StoredRecord:
        """A record whose searchable columns are copied from its event, as the service stores it."""
        return cls(
            seq, event.event_id, event.action.value, event.actor, event.target, event.outcome.value,
            content, prev_hash, hash,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    seq: int
    head_hash: bytes
    signature: str


@dataclass
class Verdict:
    organization_id: uuid.UUID
    records: int = 0
    checkpoints: int = 0
    #: The first problem found, naming the record (by sequence number) it is about; None if all is well.
    problem: str | None = None
    bad_seq: int | None = None
    #: The last record a verified checkpoint signature vouches for (0: none).
    covered: int = 0
    #: Segments of the locked copy this was compared with (0: not compared, e.g. an export).
    locked_segments: int = 0
    #: The search columns were vouched for by the database's guard (``audit.guard``), not compared
    #: record by record.
    copies_guarded: bool = False
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(
    organization_id: uuid.UUID,
    records: Iterable[StoredRecord],
    checkpoints: Iterable[StoredCheckpoint],
    public_keys: dict[int, str],
    *,
    partial: bool = False,
    copies_guarded: bool = False,
) -> Verdict:
    """Walks the records in sequence order; stops at the first problem. ``partial``: the records are
    a stretch of the chain (an export), anchored at the first one's own ``prev_hash``; what vouches
    for them is a signed checkpoint at or after them (``Verdict.covered``). ``copies_guarded``: the
    database's guard was found standing (``audit.guard.guard_stands``), so every record's search
    columns agree with its content and need not be compared one by one."""
    verdict = Verdict(organization_id, copies_guarded=copies_guarded)
    records = list(records)
    first_seq, start = 1, GENESIS
    if partial and records:
        first_seq, start = records[0].seq, records[0].prev_hash
    bad = _first_broken_link(records, first_seq, start)
    if not copies_guarded:
        bad = min(bad, _first_wrong_copy(organization_id, records))
    if bad < len(records):
        prev = records[bad - 1].hash if bad else start
        verdict.problem = _check(organization_id, records[bad], first_seq + bad, prev)
        verdict.bad_seq = first_seq + bad  # where the chain stops being right
        return verdict
    verdict.records = len(records)
    last_seq = first_seq + len(records) - 1
    for checkpoint in checkpoints:
        if partial and checkpoint.seq < first_seq:
            continue  # before the stretch: it vouches for nothing here
        if checkpoint.seq > last_seq:
            verdict.problem = (
                f"a signed checkpoint covers {checkpoint.seq} records, but only {last_seq} remain"
            )
            verdict.bad_seq = last_seq + 1
            return verdict
        if checkpoint.seq < first_seq or records[checkpoint.seq - first_seq].hash != checkpoint.head_hash:
            verdict.problem = f"record {checkpoint.seq} is not the one its signed checkpoint names"
            verdict.bad_seq = checkpoint.seq
            return verdict
        message = checkpoint_message(organization_id, checkpoint.seq, checkpoint.head_hash)
        if not verify_signature(public_keys, message, checkpoint.signature):
            verdict.problem = f"the checkpoint at record {checkpoint.seq} is not signed by the checkpoint key"
            verdict.bad_seq = checkpoint.seq
            return verdict
        verdict.checkpoints += 1
        verdict.covered = max(verdict.covered, checkpoint.seq)
    return verdict


def _first_broken_link(records: list[StoredRecord], first_seq: int, start: bytes) -> int:
    """The index of the first record out of place, off the chain or not matching its hash (else
    ``len(records)``). The hot loop of verifying: as little as possible per record."""
    sha256, label = hashlib.sha256, HASH_LABEL
    prev, seq = start, first_seq
    for index, record in enumerate(records):
        if (
            record.seq != seq
            or record.prev_hash != prev
            or sha256(label + prev + record.content).digest() != (prev := record.hash)
        ):
            return index
        seq += 1
    return len(records)


def _first_wrong_copy(organization_id: uuid.UUID, records: list[StoredRecord]) -> int:
    """The index of the first record whose searchable columns, sequence number or organization
    disagree with its hashed content (else ``len(records)``). Decodes every record in one call."""
    try:
        copies = _COPIES_ALL.decode(b"[" + b",".join(record.content for record in records) + b"]")
    except (msgspec.DecodeError, msgspec.ValidationError):
        # Some record is not of a known format: find it the slow way.
        return next((i for i, record in enumerate(records) if _decodes(record.content) is None), len(records))
    organization = organization_id.int  # UUIDs compared by their integers: no Python-level __eq__
    for index, (record, copy) in enumerate(zip(records, copies, strict=True)):
        event = copy.event
        if (
            copy.seq != record.seq
            or copy.format != FORMAT
            or event.organization_id.int != organization
            or event.event_id.int != record.event_id.int
            or event.action != record.action
            or event.actor != record.actor
            or event.target != record.target
            or event.outcome != record.outcome
        ):
            return index
    return len(records)


def _decodes(content: bytes) -> _RecordCopies | None:
    try:
        return _COPIES.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _check(organization_id: uuid.UUID, record: StoredRecord, expected_seq: int, prev: bytes) -> str | None:
    if record.seq != expected_seq:
        return f"record {expected_seq} is missing (found {record.seq} in its place)"
    if record.prev_hash != prev:
        return f"record {record.seq} does not follow record {record.seq - 1} (the chain is broken)"
    if chain_hash(prev, record.content) != record.hash:
        return f"record {record.seq} was changed (its hash does not match its content)"
    try:
        copies = _COPIES.decode(record.content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return f"record {record.seq} is not a record of a known format"
    event = copies.event
    if copies.format != FORMAT or copies.seq != record.seq or event.organization_id != organization_id:
        return f"record {record.seq} was moved (its content names another place)"
    if (record.event_id, record.action, record.actor, record.target, record.outcome) != (
        event.event_id, event.action, event.actor, event.target, event.outcome,
    ):  # fmt: skip
        return f"record {record.seq} was changed (its searchable columns disagree with its content)"
    return None


class _EventCopies(msgspec.Struct, gc=False):
    """The fields of a record's event that its searchable columns copy; the rest is skipped unread,
    which keeps verifying close to the cost of hashing. ``gc=False``: tens of thousands of these are
    made at once, and they hold no references that could form a cycle, so the garbage collector
    need not scan them."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    action: str
    actor: str
    target: str
    outcome: str


class _RecordCopies(msgspec.Struct, gc=False):
    format: int
    seq: int
    event: _EventCopies


_COPIES = msgspec.json.Decoder(_RecordCopies)
_COPIES_ALL = msgspec.json.Decoder(list[_RecordCopies])
