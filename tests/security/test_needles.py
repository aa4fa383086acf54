"""The canary's search on made-up streams (``tests.support.needles``): a needle is found wherever it
lies, across the chunks it is read in and in either case; what is absent is not found; one that would
match anywhere is refused. No services needed."""

from __future__ import annotations

import io
import os

import pytest

from tests.support import needles
from tests.support.needles import NeedleSearch, found_in

MARKER = b"canarydraft0123456789abcdef0123456789abcdef"


def _stream(size: int, *, at: int, needle: bytes) -> bytes:
    """``size`` random hex bytes (like a dump's ``bytea``) with ``needle`` written at ``at``."""
    data = bytearray(os.urandom(size // 2).hex().encode())
    data[at : at + len(needle)] = needle
    return bytes(data)


def test_a_needle_across_two_chunks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(needles, "CHUNK", 1024)
    for at in (0, 1000, 1024 - len(MARKER) // 2, 1023, 1024, 3000 - len(MARKER)):
        data = _stream(3000, at=at, needle=MARKER)
        search = NeedleSearch([("draft", MARKER), ("absent", b"canaryabsent00")])
        assert search.search(io.BytesIO(data)) == {"draft"}, at
        assert search.read == len(data)


def test_needles_sharing_a_prefix_are_told_apart() -> None:
    other = MARKER[:-1] + b"0"
    data = _stream(4096, at=100, needle=other)
    assert found_in(data, [("draft", MARKER), ("other", other)]) == {"other"}


def test_case_does_not_hide_a_needle() -> None:
    hexed = MARKER.hex().encode()
    data = _stream(4096, at=200, needle=hexed.upper())
    assert found_in(data, [("draft (hex)", hexed)]) == {"draft (hex)"}


def test_what_is_absent_is_not_found() -> None:
    assert found_in(_stream(4096, at=0, needle=b""), [("draft", MARKER)]) == set()


def test_an_empty_needle_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        NeedleSearch([("nothing", b"")])
