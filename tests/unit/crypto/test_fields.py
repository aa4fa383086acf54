"""Unit tests of ``enclave.crypto.fields``: a sealed value opens only unchanged, with its key, at its own
organization, table, row and column; any changed bit, truncation or unknown version raises the package's
one ``DecryptionFailed``; ``field_ad`` gives distinct places distinct bytes."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.crypto import segmented
from enclave.crypto.fields import NONCE_BYTES, field_ad, field_key_ref, open_field, seal_field
from enclave.crypto.segmented import TAG_BYTES, DecryptionFailed

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-00000000000b")
ROW = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_ROW = uuid.UUID("00000000-0000-4000-8000-000000000002")
AD = field_ad(ORG, "annotations", ROW, "payload")
KEY_ID = "tenant-0a/fields"
PLAINTEXT = b'{"label": "tumour", "box": [10, 20, 30, 40]}'
SEALED = seal_field(PLAINTEXT, key=KEY, key_id=KEY_ID, key_version=2, associated_data=AD)

names = st.text(min_size=1, max_size=20)
places = st.tuples(st.uuids(), names, st.uuids(), names)


class TestSealField:
    @given(
        plaintext=st.binary(max_size=2000),
        key_id=st.text(min_size=1, max_size=60),
        version=st.integers(0, 2**32 - 1),
    )
    def test_round_trip(self, plaintext: bytes, key_id: str, version: int) -> None:
        sealed = seal_field(plaintext, key=KEY, key_id=key_id, key_version=version, associated_data=AD)
        assert len(sealed) == 1 + 1 + len(key_id.encode()) + 4 + NONCE_BYTES + len(plaintext) + TAG_BYTES
        assert field_key_ref(sealed) == (key_id, version)
        assert open_field(sealed, key=KEY, associated_data=AD) == plaintext

    def test_layout(self) -> None:
        assert SEALED[:2] == bytes([1, len(KEY_ID)])
        assert SEALED[2 : 2 + len(KEY_ID)] == KEY_ID.encode()
        assert SEALED[2 + len(KEY_ID) : 6 + len(KEY_ID)] == (2).to_bytes(4, "big")

    def test_each_seal_is_different(self) -> None:
        def again() -> bytes:
            return seal_field(PLAINTEXT, key=KEY, key_id=KEY_ID, key_version=2, associated_data=AD)

        assert again() != again()

    @pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
    def test_only_aes256_keys(self, key: bytes) -> None:
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            seal_field(PLAINTEXT, key=key, key_id=KEY_ID, key_version=2, associated_data=AD)
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            open_field(SEALED, key=key, associated_data=AD)

    @pytest.mark.parametrize(("key_id", "version"), [("", 1), ("k" * 256, 1), ("k", -1), ("k", 2**32)])
    def test_invalid_key_references(self, key_id: str, version: int) -> None:
        with pytest.raises(ValueError, match="key"):
            seal_field(PLAINTEXT, key=KEY, key_id=key_id, key_version=version, associated_data=AD)


class TestOpenField:
    def test_the_exception_is_the_packages_one(self) -> None:
        assert DecryptionFailed is segmented.DecryptionFailed

    @pytest.mark.parametrize(
        "place",
        [
            (OTHER_ORG, "annotations", ROW, "payload"),
            (ORG, "comments", ROW, "payload"),
            (ORG, "annotations", OTHER_ROW, "payload"),
            (ORG, "annotations", ROW, "label"),
        ],
        ids=["another organization", "another table", "another row", "another column"],
    )
    def test_moved_elsewhere(self, place: tuple[uuid.UUID, str, uuid.UUID, str]) -> None:
        with pytest.raises(DecryptionFailed, match="does not verify"):
            open_field(SEALED, key=KEY, associated_data=field_ad(*place))

    def test_wrong_key(self) -> None:
        with pytest.raises(DecryptionFailed):
            open_field(SEALED, key=OTHER_KEY, associated_data=AD)

    @pytest.mark.parametrize("offset", range(len(SEALED)))
    def test_every_flipped_bit(self, offset: int) -> None:
        for bit in range(8):
            damaged = bytearray(SEALED)
            damaged[offset] ^= 1 << bit
            with pytest.raises(DecryptionFailed):
                open_field(bytes(damaged), key=KEY, associated_data=AD)

    @pytest.mark.parametrize("length", range(len(SEALED)))
    def test_every_truncation(self, length: int) -> None:
        with pytest.raises(DecryptionFailed):
            open_field(SEALED[:length], key=KEY, associated_data=AD)

    def test_appended_bytes(self) -> None:
        with pytest.raises(DecryptionFailed):
            open_field(SEALED + b"\x00", key=KEY, associated_data=AD)

    @pytest.mark.parametrize("version", [0, 2, 255])
    def test_unknown_version(self, version: int) -> None:
        with pytest.raises(DecryptionFailed, match=f"version {version}"):
            open_field(bytes([version]) + SEALED[1:], key=KEY, associated_data=AD)
        with pytest.raises(DecryptionFailed, match=f"version {version}"):
            field_key_ref(bytes([version]) + SEALED[1:])

    @pytest.mark.parametrize(
        "sealed",
        [b"", b"\x01", b"\x01\x00" + bytes(40), b"\x01\x05abc", b"\x01\x01\xff" + bytes(40)],
        ids=["empty", "version only", "empty key id", "key id cut", "key id not UTF-8"],
    )
    def test_malformed_key_reference(self, sealed: bytes) -> None:
        with pytest.raises(DecryptionFailed):
            field_key_ref(sealed)

    def test_messages_hold_no_key_or_plaintext(self) -> None:
        with pytest.raises(DecryptionFailed) as failure:
            open_field(SEALED, key=OTHER_KEY, associated_data=AD)
        for secret in (KEY, OTHER_KEY, PLAINTEXT):
            assert secret.hex() not in str(failure.value)
            assert repr(secret)[2:-1] not in str(failure.value)


class TestFieldAd:
    @given(first=places, second=places)
    def test_distinct_places_give_distinct_bytes(
        self, first: tuple[uuid.UUID, str, uuid.UUID, str], second: tuple[uuid.UUID, str, uuid.UUID, str]
    ) -> None:
        assert (field_ad(*first) == field_ad(*second)) == (first == second)

    def test_shifting_a_boundary_changes_the_bytes(self) -> None:
        assert field_ad(ORG, "ab", ROW, "c") != field_ad(ORG, "a", ROW, "bc")
        assert field_ad(ORG, "t", ROW, "c") != field_ad(ORG, "t\x00", ROW, "c")

    @pytest.mark.parametrize(("table", "column"), [("", "c"), ("t", ""), ("t" * 65536, "c")])
    def test_names_must_be_non_empty_and_bounded(self, table: str, column: str) -> None:
        with pytest.raises(ValueError, match="table and column"):
            field_ad(ORG, table, ROW, column)
