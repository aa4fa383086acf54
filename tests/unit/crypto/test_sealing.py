"""Sealed records open only unchanged, under their own name, with the key that sealed them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.crypto.sealing import SealBroken, Sealer

SECRET = b"a-session-secret-of-enough-length"


class TestSealer:
    @given(st.binary(max_size=2000), st.binary(max_size=100))
    def test_round_trip(self, plaintext: bytes, name: bytes) -> None:
        sealer = Sealer(SECRET)
        assert sealer.open(sealer.seal(plaintext, name), name) == plaintext

    def test_each_seal_is_different(self) -> None:
        sealer = Sealer(SECRET)
        assert sealer.seal(b"same", b"n") != sealer.seal(b"same", b"n")

    @pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
    def test_a_flipped_byte_is_refused(self, position: int) -> None:
        sealer = Sealer(SECRET)
        sealed = bytearray(sealer.seal(b"refresh-token", b"name"))
        sealed[position] ^= 0x01
        with pytest.raises(SealBroken):
            sealer.open(bytes(sealed), b"name")

    def test_another_name_is_refused(self) -> None:
        sealer = Sealer(SECRET)
        with pytest.raises(SealBroken):
            sealer.open(sealer.seal(b"refresh-token", b"session-a"), b"session-b")

    def test_another_key_is_refused(self) -> None:
        sealed = Sealer(SECRET).seal(b"refresh-token", b"name")
        with pytest.raises(SealBroken):
            Sealer(b"another-secret-of-enough-length").open(sealed, b"name")

    def test_another_purpose_is_refused(self) -> None:
        sealed = Sealer(SECRET, b"purpose-a").seal(b"x", b"name")
        with pytest.raises(SealBroken):
            Sealer(SECRET, b"purpose-b").open(sealed, b"name")

    @pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x02" + b"\x00" * 40, b"\x01" + b"\x00" * 20])
    def test_truncated_or_foreign_records_are_refused(self, sealed: bytes) -> None:
        with pytest.raises(SealBroken):
            Sealer(SECRET).open(sealed, b"name")

    def test_short_secrets_are_refused(self) -> None:
        with pytest.raises(ValueError, match="16 bytes"):
            Sealer(b"short")
