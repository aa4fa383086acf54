"""A trail's export (JSON lines) and its offline verification.

The export holds the records in a time range, then those up to the next signed checkpoint (so a
signature vouches for every exported record), and the checkpoints among them::

    {"type": "trail", "format": 1, "organization_id": "...", "since": "...", "until": "..."}
    {"type": "record", "seq": 41, "prev_hash": "<hex>", "hash": "<hex>", "record": {...}}
    {"type": "checkpoint", "seq": 50, "head_hash": "<hex>", "signature": "vault:v1:..."}

``record`` is the canonical record as an object: re-encoding it (keys sorted, no whitespace) gives the
very bytes that were hashed, so the file verifies with nothing but the checkpoint key's public half.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from enclave.audit.events import parse
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord, Verdict, verify_chain


def header_line(organization_id: uuid.UUID, since: str | None, until: str | None) -> bytes:
    head = {
        "type": "trail",
        "format": 1,
        "organization_id": str(organization_id),
        "since": since,
        "until": until,
    }
    return msgspec.json.encode(head) + b"\n"


def record_line(record: StoredRecord) -> bytes:
    line = {
        "type": "record",
        "seq": record.seq,
        "prev_hash": record.prev_hash.hex(),
        "hash": record.hash.hex(),
        "record": msgspec.Raw(record.content),
    }
    return msgspec.json.encode(line) + b"\n"


def checkpoint_line(checkpoint: StoredCheckpoint) -> bytes:
    line = {
        "type": "checkpoint",
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash.hex(),
        "signature": checkpoint.signature,
    }
    return msgspec.json.encode(line) + b"\n"


class MalformedTrail(ValueError):
    """A line that is not a trail line; names it by number (from 1)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} of the export is not a trail line")
        self.line = line


@dataclass
class TrailFile:
    """What a trail file (an export, or a segment of the locked copy) holds."""

    organization_id: uuid.UUID | None = None
    records: list[StoredRecord] = field(default_factory=list)
    checkpoints: list[StoredCheckpoint] = field(default_factory=list)


def read_trail(lines: Iterable[bytes]) -> TrailFile:
    """Parses a trail file line by line; raises :class:`MalformedTrail` at the first bad line."""
    trail = TrailFile()
    for number, line in enumerate(_nonblank(lines), start=1):
        try:
            entry: dict[str, Any] = msgspec.json.decode(line)
            kind = entry["type"]
            if kind == "trail":
                trail.organization_id = uuid.UUID(entry["organization_id"])
            elif kind == "record":
                content = msgspec.json.encode(entry["record"], order="sorted")
                event = parse(content).event
                previous, digest = bytes.fromhex(entry["prev_hash"]), bytes.fromhex(entry["hash"])
                trail.records.append(StoredRecord.of(int(entry["seq"]), event, content, previous, digest))
            elif kind == "checkpoint":
                trail.checkpoints.append(
                    StoredCheckpoint(
                        int(entry["seq"]), bytes.fromhex(entry["head_hash"]), str(entry["signature"])
                    )
                )
            else:
                raise ValueError(kind)  # noqa: TRY301 — an unknown line fails like a malformed one
        except (msgspec.DecodeError, msgspec.ValidationError, KeyError, ValueError, TypeError) as error:
            raise MalformedTrail(number) from error
    return trail


def verify_export(lines: Iterable[bytes], public_keys: dict[int, str]) -> Verdict:
    """Verifies an export read back line by line; a malformed file fails like a broken chain."""
    try:
        trail = read_trail(lines)
    except MalformedTrail as error:
        verdict = Verdict(uuid.UUID(int=0))
        verdict.problem = str(error)
        return verdict
    if trail.organization_id is None:
        verdict = Verdict(uuid.UUID(int=0))
        verdict.problem = "the export has no trail header"
        return verdict
    records = trail.records
    verdict = verify_chain(trail.organization_id, records, trail.checkpoints, public_keys, partial=True)
    if verdict.ok and records and verdict.covered < records[-1].seq:
        verdict.problem = f"records after {verdict.covered} are not covered by a signed checkpoint"
        verdict.bad_seq = verdict.covered + 1
    return verdict


def _nonblank(lines: Iterable[bytes]) -> Iterator[bytes]:
    return (line for line in lines if line.strip())
