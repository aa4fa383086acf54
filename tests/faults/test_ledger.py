"""The fault suite's own checks, on made-up evidence: the ledger counts a lost, a duplicated, a
refused and a wrongly replayed submission, and the plaintext search finds a marker as text and as hex
(at either half-byte offset) but not inside a longer number. No services needed."""

from __future__ import annotations

import json
from collections import Counter

from tests.faults.ledger import ledger_of
from tests.faults.plaintext import markers_in
from tests.support.load import Submission

MARKER = json.dumps(523412.12345678912)


def _acknowledged(task: str, key: str, *, replayed: int | None = None) -> Submission:
    return Submission(
        task,
        key,
        MARKER,
        "acknowledged",
        version_id=f"v-{task}",
        status=201,
        replayed_status=replayed,
        replayed_version_id=f"v-{task}" if replayed == 200 else None,
    )


class TestLedger:
    def test_each_submission_stored_and_audited_once_is_clean(self) -> None:
        submissions = [_acknowledged("t1", "k1", replayed=200), _acknowledged("t2", "k2")]
        ledger = ledger_of(
            submissions, {("t1", "k1"): 1, ("t2", "k2"): 1}, Counter({"task:t1": 1, "task:t2": 1})
        )
        assert (ledger.acknowledged, ledger.lost, ledger.duplicated, ledger.problems) == (2, 0, 0, [])

    def test_lost_duplicated_refused_and_replayed_otherwise_are_counted(self) -> None:
        submissions = [
            _acknowledged("lost", "k1"),
            _acknowledged("twice", "k2"),
            _acknowledged("audited-twice", "k3"),
            _acknowledged("replayed", "k4", replayed=409),
            Submission("refused", "k5", MARKER, "refused", status=409),
        ]
        stored: dict[tuple[str, str | None], int] = {
            ("twice", "k2"): 2,
            ("audited-twice", "k3"): 1,
            ("replayed", "k4"): 1,
            ("x", "unsent"): 1,
        }
        audited = Counter({"task:twice": 1, "task:audited-twice": 2, "task:replayed": 1})
        ledger = ledger_of(submissions, stored, audited)
        assert ledger.lost == 1
        # a key stored twice, a submission audited twice, and a version nobody sent: one each.
        assert ledger.duplicated == 3
        assert ledger.refused == 1
        assert ledger.replays_answered_otherwise == 1

    def test_an_undecided_submission_may_be_stored_once_or_not_at_all(self) -> None:
        undecided = [Submission("a", "k1", MARKER), Submission("b", "k2", MARKER)]
        ledger = ledger_of(undecided, {("a", "k1"): 1}, Counter({"task:a": 1}))
        assert (ledger.undecided, ledger.lost, ledger.duplicated, ledger.problems) == (2, 0, 0, [])


class TestPlaintextSearch:
    def test_a_marker_is_found_as_text_and_as_hex_at_any_offset(self) -> None:
        hexed = MARKER.encode().hex().encode()
        for haystack in (
            b'{"x": ' + MARKER.encode() + b"}",
            b"\\x" + hexed,
            b"\\x5" + hexed.upper(),
        ):
            assert markers_in(haystack, {MARKER}) == {MARKER}, haystack

    def test_a_longer_number_is_not_the_marker(self) -> None:
        assert markers_in(b"1" + MARKER.encode() + b"7", {MARKER}) == set()
