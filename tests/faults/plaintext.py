"""Plaintext search for the fault suite: the markers it plants are JSON numbers of 17 significant
digits (annotation coordinates); this finds any of them in bytes, as text and as hex (the way a dump
shows ``bytea``), in one pass of a regular expression, however many markers there are.

The same approach as ``tests/security/test_canary.py``'s ``_found`` (every needle, as UTF-8 and as
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


def _numbers(haystack: bytes) -> Iterator[str]:
    """Every number of the markers' form in ``haystack``, as text, also where it is hex-encoded."""
    for found in NUMBER.finditer(haystack):
        yield found.group().decode()
    for found in HEX_NUMBER.finditer(haystack):
        yield bytes.fromhex(found.group(1).decode()).decode()


def markers_in(haystack: bytes, markers: set[str]) -> set[str]:
    """The ``markers`` present in ``haystack``, as text or hex-encoded."""
    return {number for number in _numbers(haystack) if number in markers}


def _files(root: Path) -> Iterable[Path]:
    for directory, _, names in os.walk(root):
        for name in names:
            yield Path(directory) / name


def markers_in_object_storage(root: Path, markers: set[str]) -> tuple[int, set[str]]:
    """(files searched, markers found) under MinIO's data directory ``root``."""
    seen, found = 0, set()
    for path in _files(root):
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):  # MinIO moved a temporary file away meanwhile
            continue
        seen += 1
        found |= markers_in(data, markers)
    return seen, found
