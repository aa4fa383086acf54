"""Request ids: a caller's safe id is kept, anything else is replaced by a fresh one."""

from __future__ import annotations

import pytest

from enclave.api.request_id import request_id_from


class TestRequestIdFrom:
    def test_keeps_a_safe_caller_id(self) -> None:
        assert request_id_from({"headers": [(b"x-request-id", b"abc-123_456.7")]}) == "abc-123_456.7"

    @pytest.mark.parametrize("value", [b"short", b"has space inside", b"new\nline-injection", b"x" * 65])
    def test_replaces_unsafe_ids(self, value: bytes) -> None:
        replaced = request_id_from({"headers": [(b"x-request-id", value)]})
        assert replaced != value.decode("latin-1")
        assert len(replaced) == 32

    def test_makes_one_when_missing(self) -> None:
        assert len(request_id_from({"headers": []})) == 32
