"""Comparing the database's chain with the locked copy, in memory: segments as the audit service
writes them (``encode_segment``), read back as ``LockedArchive.read`` parses them."""

from __future__ import annotations

import dataclasses

from enclave.audit_trail.archive import ArchivedTrail, Segment, encode_segment
from enclave.audit_trail.compare import compare_with_archive
from enclave.audit_trail.export import read_trail
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from tests.unit.audit_trail.test_verify import ORG, PUBLIC, chain, checkpoint


def segment(records: list[StoredRecord], name: str | None = None) -> Segment:
    """A segment through its real bytes: encoded, then parsed back."""
    parsed = read_trail(encode_segment(ORG, records, checkpoint(records)).splitlines())
    assert parsed.organization_id == ORG
    return Segment(name or f"{ORG}/{records[-1].seq:020d}.jsonl", "v1", parsed.records, parsed.checkpoints)


def archived(*segments: Segment) -> ArchivedTrail:
    return ArchivedTrail(ORG, list(segments))


RECORDS = chain(8)
FIRST, SECOND = RECORDS[:5], RECORDS[5:]
CHECKPOINTS = [checkpoint(FIRST), checkpoint(RECORDS)]
LOCKED = archived(segment(FIRST), segment(SECOND))


def compare(
    records: list[StoredRecord], checkpoints: list[StoredCheckpoint], trail: ArchivedTrail = LOCKED
) -> tuple[int | None, str] | None:
    found = compare_with_archive(ORG, records, checkpoints, trail, PUBLIC)
    return None if found is None else (found.seq, found.problem)


def test_a_database_that_matches_its_copy_agrees() -> None:
    assert compare(RECORDS, CHECKPOINTS) is None


def test_records_past_the_last_copy_are_not_yet_compared() -> None:
    later = chain(10)  # records 9 and 10 are not signed yet, so not copied yet
    signed = [checkpoint(later[:5]), checkpoint(later[:8])]
    assert compare(later, signed, archived(segment(later[:5]), segment(later[5:8]))) is None


def test_a_whole_trail_removed_is_named_at_its_first_record() -> None:
    assert compare([], []) == (1, "record 1 is in the locked copy but not in the database (removed)")


def test_a_tail_removed_with_its_checkpoint_is_named_where_the_cut_begins() -> None:
    assert compare(RECORDS[:5], CHECKPOINTS[:1]) == (
        6,
        "record 6 is in the locked copy but not in the database (removed)",
    )


def test_a_changed_record_is_named() -> None:
    changed = [*RECORDS]
    changed[2] = dataclasses.replace(changed[2], hash=bytes(32))
    assert compare(changed, CHECKPOINTS) == (3, "record 3 differs from its locked copy")


def test_a_removed_checkpoint_is_named() -> None:
    assert compare(RECORDS, CHECKPOINTS[1:]) == (
        5,
        "the checkpoint at record 5 is in the locked copy but not in the database",
    )


def test_a_checkpoint_without_a_copy_is_named() -> None:
    assert compare(RECORDS, CHECKPOINTS, archived(segment(FIRST))) == (
        8,
        "the checkpoint at record 8 has no locked copy",
    )


def test_a_forged_segment_does_not_verify() -> None:
    forged = segment(FIRST)
    records = [*forged.records]
    records[1] = dataclasses.replace(records[1], content=records[1].content.replace(b"success", b"denied"))
    result = compare(
        RECORDS, CHECKPOINTS, archived(dataclasses.replace(forged, records=records), segment(SECOND))
    )
    assert result is not None
    assert result[1].startswith(f"the locked segment {ORG}/00000000000000000005.jsonl does not verify")


def test_an_unsigned_segment_does_not_verify() -> None:
    unsigned = dataclasses.replace(segment(FIRST), checkpoints=[])
    result = compare(RECORDS, CHECKPOINTS, archived(unsigned, segment(SECOND)))
    assert result is not None
    assert "does not verify" in result[1]


def test_two_different_copies_of_one_record_are_named() -> None:
    other = chain(5)  # another chain's records 1..5, validly signed: a second, different copy
    result = compare(RECORDS, CHECKPOINTS, archived(segment(FIRST), segment(other, "x"), segment(SECOND)))
    assert result == (1, "record 1 has two different locked copies")


def test_a_damaged_object_is_named() -> None:
    trail = archived(segment(FIRST), segment(SECOND))
    trail.problems.append("x is not a trail segment")
    assert compare(RECORDS, CHECKPOINTS, trail) == (
        None,
        "the locked copy holds a damaged segment: x is not a trail segment",
    )
