"""Plaintext search for the fault suite: the markers it plants are JSON numbers of 17 significant
digits (annotation coordinates); this finds any of them in bytes, as text and as hex (the way a dump
shows ``bytea``), in one pass of a regular expression, however many markers there are, and in a
stream fed chunk by chunk as well as in bytes held whole: a ``pg_dump`` is searched as it is written.

The same approach as ``tests/security/test_canary.py``'s needles (every needle, as UTF-8 and as
hex), made linear: a canary's few dozen markers can be searched one by one, a thousand cannot.
Reads only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

#: A JSON number of the form the markers take, and the same text hex-encoded. The hex pattern is a
#: lookahead, so that it is tried at every offset: a match begun half a byte early cannot hide one.
NUMBER = re.compile(rb"(?<![0-9])[0-9]{6}\.[0-9]{3,}")
HEX_NUMBER = re.compile(rb"(?=((?:3[0-9]){6}2[eE](?:3[0-9]){3,}))")
CHUNK = 16 << 20


def _numbers(haystack: bytes) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of every number of the markers' form in ``haystack``, also where it is
    hex-encoded."""
    for found in NUMBER.finditer(haystack):
        yield found.start(), found.end(), found.group().decode()
    for found in HEX_NUMBER.finditer(haystack):
        start, end = found.span(1)
        yield start, end, bytes.fromhex(found.group(1).decode()).decode()


class MarkerSearch:
    """Which ``markers`` a stream holds, as text or hex-encoded, fed in order, chunk by chunk.

    Each chunk is searched after the last bytes of what came before it (``_carry``: more than any
    marker's longest form, its hex, and ``_OPEN``). A number that ends within ``_OPEN`` bytes of
    what has been fed so far may go on in the next chunk (a hex pair cut in half), so it is judged
    there, whole; one that begins at the first carried byte, where the stream had more before it,
    was judged before (or is longer than any marker). So a marker across two chunks is found, and a
    longer number is never mistaken for one it begins or ends with.
    """

    #: A number ending this close to the end of the bytes fed so far is judged in the next chunk.
    _OPEN = 2

    def __init__(self, markers: set[str]) -> None:
        self._markers = markers
        self._carry = 2 * max((len(m) for m in markers), default=0) + self._OPEN + 1
        self._tail = b""
        self.found: set[str] = set()
        self.read = 0

    def feed(self, chunk: bytes, *, last: bool = False) -> None:
        # Whether the window starts after the stream's start: its first byte was judged before.
        cut = self.read > len(self._tail)
        self.read += len(chunk)
        window = self._tail + chunk
        judged_up_to = len(window) if last else len(window) - self._OPEN
        for start, end, number in _numbers(window):
            if (cut and start == 0) or end > judged_up_to:
                continue
            if number in self._markers:
                self.found.add(number)
        self._tail = window[-self._carry :]

    def finish(self) -> set[str]:
        """The markers found, once the stream has ended."""
        self.feed(b"", last=True)
        return self.found

    def search(self, chunks: Iterable[bytes]) -> set[str]:
        for chunk in chunks:
            self.feed(chunk)
        return self.finish()


def markers_in(haystack: bytes, markers: set[str]) -> set[str]:
    """The ``markers`` present in ``haystack``, as text or hex-encoded."""
    search = MarkerSearch(markers)
    search.feed(haystack, last=True)
    return search.found


def _files(root: Path) -> Iterable[Path]:
    for directory, _, names in os.walk(root):
        for name in names:
            yield Path(directory) / name


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def markers_in_object_storage(root: Path, markers: set[str]) -> tuple[int, set[str]]:
    """(files searched, markers found) under MinIO's data directory ``root``, each file read in
    chunks."""
    seen, found = 0, set()
    for path in _files(root):
        search = MarkerSearch(markers)
        try:
            search.search(_chunks(path))
        except (FileNotFoundError, IsADirectoryError):  # MinIO moved a temporary file away meanwhile
            continue
        seen += 1
        found |= search.found
    return seen, found
