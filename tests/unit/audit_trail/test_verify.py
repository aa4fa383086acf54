"""The trail's format and its verifier, in memory: canonical bytes, the chain, checkpoint signatures
made with an ed25519 key in the form Vault's transit engine gives them."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from enclave.audit.actions import AuditAction
from enclave.audit.events import (
    GENESIS,
    AuditEvent,
    AuditRecord,
    canonical,
    chain_hash,
    checkpoint_message,
    parse,
)
from enclave.audit_trail.export import checkpoint_line, header_line, record_line, verify_export
from enclave.audit_trail.signer import verify_signature
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord, verify_chain

ORG = uuid.UUID("11111111-2222-3333-4444-555555555555")
KEY = Ed25519PrivateKey.generate()
PUBLIC = {1: base64.b64encode(KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()}


def sign(message: bytes) -> str:
    return "vault:v1:" + base64.b64encode(KEY.sign(message)).decode()


def chain(n: int) -> list[StoredRecord]:
    records, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = AuditEvent(
            event_id=uuid.uuid4(),
            organization_id=ORG,
            occurred_at=dt.datetime(2026, 11, 23, 9, 0, seq, tzinfo=dt.UTC),
            actor="user:x",
            action=AuditAction.DATA_DATASET_CREATE,
            target=f"dataset:{seq}",
            details={"n": seq},
        )
        content = canonical(AuditRecord(format=1, seq=seq, event=event))
        digest = chain_hash(prev, content)
        records.append(
            StoredRecord(
                seq,
                event.event_id,
                event.action.value,
                "user:x",
                event.target,
                "success",
                content,
                prev,
                digest,
            )
        )
        prev = digest
    return records


def checkpoint(records: list[StoredRecord]) -> StoredCheckpoint:
    last = records[-1]
    return StoredCheckpoint(last.seq, last.hash, sign(checkpoint_message(ORG, last.seq, last.hash)))


class TestFormat:
    def test_canonical_bytes_round_trip_and_sort_keys(self) -> None:
        content = chain(1)[0].content
        assert canonical(parse(content)) == content  # an export re-encodes to the very bytes hashed
        text = content.decode()
        assert text.index('"event"') < text.index('"format"') < text.index('"seq"')
        assert ": " not in text
        assert ", " not in text

    def test_the_hash_covers_the_previous_hash(self) -> None:
        assert chain_hash(GENESIS, b"x") != chain_hash(bytes([1]) * 32, b"x")


class TestVerify:
    def test_a_good_chain_with_a_checkpoint_verifies(self) -> None:
        records = chain(4)
        verdict = verify_chain(ORG, records, [checkpoint(records)], PUBLIC)
        assert (verdict.ok, verdict.records, verdict.checkpoints) == (True, 4, 1)

    @pytest.mark.parametrize("index", range(4))
    def test_any_changed_byte_is_named(self, index: int) -> None:
        records = chain(4)
        bad = records[index]
        records[index] = StoredRecord(
            bad.seq, bad.event_id, bad.action, bad.actor, bad.target, bad.outcome,
            bad.content.replace(b'"n":', b'"m":'), bad.prev_hash, bad.hash,
        )  # fmt: skip
        verdict = verify_chain(ORG, records, [], PUBLIC)
        assert (verdict.ok, verdict.bad_seq) == (False, index + 1)

    def test_a_record_from_another_organization_is_refused(self) -> None:
        verdict = verify_chain(uuid.uuid4(), chain(2), [], PUBLIC)
        assert (verdict.ok, verdict.bad_seq) == (False, 1)
        assert "moved" in str(verdict.problem)

    def test_a_search_column_that_disagrees_is_named_unless_the_database_guards_them(self) -> None:
        records = chain(3)
        bad = records[1]
        records[1] = StoredRecord(
            bad.seq, bad.event_id, bad.action, "user:someone-else", bad.target, bad.outcome,
            bad.content, bad.prev_hash, bad.hash,
        )  # fmt: skip
        compared = verify_chain(ORG, records, [checkpoint(records)], PUBLIC)
        assert (compared.ok, compared.bad_seq, compared.copies_guarded) == (False, 2, False)
        assert "searchable columns disagree" in str(compared.problem)
        # With the guard standing such a row cannot exist in the database; verify relies on it for
        # the copies, and on nothing else: the hashes and signatures are still checked.
        guarded = verify_chain(ORG, records, [checkpoint(records)], PUBLIC, copies_guarded=True)
        assert (guarded.ok, guarded.records, guarded.copies_guarded) == (True, 3, True)
        records[2] = StoredRecord(
            records[2].seq, records[2].event_id, records[2].action, records[2].actor, records[2].target,
            records[2].outcome, records[2].content + b" ", records[2].prev_hash, records[2].hash,
        )  # fmt: skip
        changed = verify_chain(ORG, records, [], PUBLIC, copies_guarded=True)
        assert (changed.ok, changed.bad_seq) == (False, 3)

    def test_a_checkpoint_signed_by_another_key_is_refused(self) -> None:
        records = chain(3)
        other = Ed25519PrivateKey.generate()
        message = checkpoint_message(ORG, 3, records[-1].hash)
        forged = StoredCheckpoint(
            3, records[-1].hash, "vault:v1:" + base64.b64encode(other.sign(message)).decode()
        )
        verdict = verify_chain(ORG, records, [forged], PUBLIC)
        assert (verdict.ok, verdict.bad_seq) == (False, 3)

    def test_signatures_verify_offline_only_for_their_message(self) -> None:
        signature = sign(b"message")
        assert verify_signature(PUBLIC, b"message", signature)
        assert not verify_signature(PUBLIC, b"massage", signature)
        assert not verify_signature(PUBLIC, b"message", signature.replace("vault:v1", "vault:v2"))
        assert not verify_signature(PUBLIC, b"message", "not a signature")


class TestExport:
    def lines(self, records: list[StoredRecord], checkpoints: list[StoredCheckpoint]) -> list[bytes]:
        return [
            header_line(ORG, None, None),
            *(record_line(r) for r in records),
            *(checkpoint_line(c) for c in checkpoints),
        ]

    def test_a_stretch_with_its_covering_checkpoint_verifies(self) -> None:
        records = chain(6)
        stretch = records[2:]  # records 3..6, as a day's export would begin mid-chain
        verdict = verify_export(self.lines(stretch, [checkpoint(records)]), PUBLIC)
        assert (verdict.ok, verdict.records, verdict.covered) == (True, 4, 6)

    def test_records_no_signature_covers_are_refused(self) -> None:
        verdict = verify_export(self.lines(chain(3), []), PUBLIC)
        assert (verdict.ok, verdict.bad_seq) == (False, 1)
        assert "not covered" in str(verdict.problem)

    def test_a_malformed_line_is_refused(self) -> None:
        lines = self.lines(chain(2), [])
        lines[1] = b'{"type": "record", "seq": "one"}'
        verdict = verify_export(lines, PUBLIC)
        assert not verdict.ok
        assert "line 2" in str(verdict.problem)
