"""Cursors round-trip, and a cursor the API did not issue is the client's error, not a 500."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.db.repositories.pages import decode_cursor, encode_cursor
from enclave.domain.errors import InvalidInput


class TestCursor:
    @given(st.datetimes(timezones=st.just(dt.UTC)), st.uuids())
    def test_round_trip(self, when: dt.datetime, key: uuid.UUID) -> None:
        assert decode_cursor(encode_cursor(when, key)) == (when, key)

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "!!!",
            "bm90LWEtY3Vyc29y",
            base64.urlsafe_b64encode(b"2026-01-01T00:00:00|x").decode(),
            base64.urlsafe_b64encode(f"2026-01-01T00:00:00|{uuid.uuid4()}".encode()).decode(),
            "\u00ff\u00fe",
        ],
    )
    def test_foreign_cursors_are_invalid_input(self, cursor: str) -> None:
        with pytest.raises(InvalidInput):
            decode_cursor(cursor)

    @given(st.text(max_size=100))
    def test_never_raises_anything_else(self, cursor: str) -> None:
        with contextlib.suppress(InvalidInput):
            decode_cursor(cursor)
