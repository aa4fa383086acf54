"""Which of a few dozen fixed byte strings occur in a stream too large to hold: a ``pg_dump`` of a
database the benchmarks have filled holds gigabytes.

Case-insensitive (the stream and every needle are lowered), so a needle is found however a dump
spells it: the canary's hex needles are found in a dump's ``bytea`` whatever case it uses. The
stream is read in chunks that overlap by the longest needle less one byte, so a needle across two
chunks is still seen. Needles are grouped by their first bytes and each group's prefix (a lone
needle: itself) is searched with ``bytes.find`` (C, gigabytes a second): a chunk costs one pass per
group, not one per needle (the markers of ``tests/security/test_canary.py`` share a prefix). By
hand because no well-kept library in the lock searches many needles in a stream; Aho-Corasick would
be a new native dependency for one test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import IO, Protocol

#: Needles are grouped by this many leading bytes (a shorter needle is its own group).
PREFIX = 6
CHUNK = 16 << 20


class Fed(Protocol):
    """A search of a stream, fed its chunks in order."""

    def feed(self, chunk: bytes) -> None: ...


class NeedleSearch:
    """Feed it the stream's chunks in order; ``found`` says which needles (by label) it held."""

    def __init__(self, needles: Iterable[tuple[str, bytes]]) -> None:
        self._groups: dict[bytes, list[tuple[str, bytes]]] = defaultdict(list)
        longest = 1
        for label, needle in needles:
            if not needle:
                raise ValueError(f"needle {label!r} is empty: it would be found anywhere")
            lowered = needle.lower()
            self._groups[lowered[:PREFIX]].append((label, lowered))
            longest = max(longest, len(lowered))
        # A group of one is searched for whole: a longer string is found faster (it skips further).
        for prefix, group in list(self._groups.items()):
            if len(group) == 1 and len(group[0][1]) > len(prefix):
                del self._groups[prefix]
                self._groups[group[0][1]] = group
        self._overlap = longest - 1
        self._tail = b""
        self.found: set[str] = set()
        self.read = 0

    def feed(self, chunk: bytes) -> None:
        self.read += len(chunk)
        window = (self._tail + chunk).lower()
        for prefix, group in list(self._groups.items()):
            start = window.find(prefix)
            while start != -1:
                for label, needle in group:
                    if window.startswith(needle, start):
                        self.found.add(label)
                start = window.find(prefix, start + 1)
            if all(label in self.found for label, _ in group):
                del self._groups[prefix]  # nothing of it left to find
        self._tail = window[-self._overlap :] if self._overlap else b""

    def search(self, stream: IO[bytes]) -> set[str]:
        while chunk := stream.read(CHUNK):
            self.feed(chunk)
        return self.found


def found_in(data: bytes, needles: Iterable[tuple[str, bytes]]) -> set[str]:
    """The labels of ``needles`` present in ``data`` (case-insensitively)."""
    search = NeedleSearch(needles)
    search.feed(data)
    return search.found
