"""The fault suite's own checks, on made-up evidence: the ledger counts a lost, a duplicated, a
refused and a wrongly replayed submission, and the plaintext search finds a marker as text and as hex
(at either half-byte offset) but not inside a longer number, in bytes held whole and in a stream fed
in chunks split anywhere. No services needed."""

from __future__ import annotations

import json
from collections import Counter

from tests.faults.ledger import ledger_of
from tests.faults.plaintext import MarkerSearch, markers_in
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


def _split_everywhere(haystack: bytes) -> list[set[str]]:
    """What a stream search finds in ``haystack`` fed as two chunks, for every place of the cut (and
    as three, cut at the same place and one byte later)."""
    found = []
    for cut in range(len(haystack) + 1):
        found.append(MarkerSearch({MARKER}).search([haystack[:cut], haystack[cut:]]))
        three = [haystack[:cut], haystack[cut : cut + 1], haystack[cut + 1 :]]
        found.append(MarkerSearch({MARKER}).search(three))
    return found


class TestStreamSearch:
    def test_a_marker_across_chunks_is_found_wherever_the_cut_falls(self) -> None:
        hexed = MARKER.encode().hex().encode()
        for haystack in (b'{"x": ' + MARKER.encode() + b"}", b"\\x5" + hexed, MARKER.encode()):
            assert all(found == {MARKER} for found in _split_everywhere(b"padding " + haystack)), haystack

    def test_a_longer_number_across_chunks_is_never_the_marker(self) -> None:
        hexed = MARKER.encode().hex().encode()
        for haystack in (b"1" + MARKER.encode() + b"7", MARKER.encode() + b"7", hexed + b"37"):
            assert all(found == set() for found in _split_everywhere(haystack)), haystack

    def test_many_small_chunks_find_what_one_whole_search_does(self) -> None:
        haystack = b"".join(
            [b"a", MARKER.encode(), b" 1", MARKER.encode(), b"9 \\x", MARKER.encode().hex().encode(), b"\n"]
        )
        search = MarkerSearch({MARKER})
        fed = search.search(haystack[i : i + 3] for i in range(0, len(haystack), 3))
        assert fed == markers_in(haystack, {MARKER}) == {MARKER}
        assert search.read == len(haystack)

    def test_a_marker_that_opens_the_stream_is_found_in_chunks_of_every_size(self) -> None:
        for haystack in (MARKER.encode(), MARKER.encode() + b" and more after it"):
            for size in range(1, len(haystack) + 1):
                chunks = (haystack[i : i + size] for i in range(0, len(haystack), size))
                assert MarkerSearch({MARKER}).search(chunks) == {MARKER}, (haystack, size)
