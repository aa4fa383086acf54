"""Unit tests of ``enclave.crypto.content.ContentCipher``'s column values, with an in-memory key ring:
each kind of sealed value has its own pair of methods, round-trips through them, and opens only as
its own kind, for its own row and organization. The associated data of each kind is spelled out here
as it was before callers stopped naming tables and columns — stored ciphertexts are bound to it, so
renaming a table or column string in ``content`` must fail these tests, not silently strand data."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.crypto.fields import field_ad, open_field, seal_field
from enclave.crypto.keyring import KeyRing, SealingKey
from enclave.crypto.segmented import DecryptionFailed

KEY = bytes(range(32))
KEY_ID = uuid.UUID("00000000-0000-4000-8000-0000000000d1").hex
KEY_VERSION = 3
ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-00000000000b")
ROW = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_ROW = uuid.UUID("00000000-0000-4000-8000-000000000002")


class MemoryKeyRing:
    """What ``ContentCipher`` asks of a ``KeyRing``, from memory: one data key for every organization
    (so only the associated data tells organizations apart), opened only by its own id."""

    async def sealing_key(self, organization_id: uuid.UUID) -> SealingKey:
        return SealingKey(KEY_ID, KEY_VERSION, KEY)

    async def opening_key(self, session: AsyncSession, organization_id: uuid.UUID, key_id: str) -> bytes:
        if key_id != KEY_ID:
            raise DecryptionFailed("the stored value names a data key this organization does not have")
        return KEY

    async def index_key(self, organization_id: uuid.UUID) -> bytes:
        return bytes(32)


def cipher_of(organization_id: uuid.UUID = ORG) -> ContentCipher:
    return ContentCipher(cast(KeyRing, MemoryKeyRing()), cast(AsyncSession, None), organization_id)


ANNOTATION: dict[str, Any] = {
    "objects": [{"label": "tumour", "box": [10, 20, 30, 40]}],
    "classifications": {"quality": ["good"]},
}
ATTRIBUTES: dict[str, Any] = {"site": "north", "slices": 12, "contrast": True}


@dataclass(frozen=True)
class Kind:
    """One way to seal and open a column value, with the place it has always been bound to."""

    seal: str  # ContentCipher method: (row id, value) -> sealed
    open: str  # ContentCipher method: (row id, sealed) -> opened
    value: Any  # what is sealed
    opened: Any  # what ``open`` gives back
    plaintext: bytes  # the bytes that are sealed
    table: str  # the associated data's table and column, exactly as stored ciphertexts have them
    column: str

    def __str__(self) -> str:
        return self.open


KINDS = [
    Kind(
        "seal_annotation_payload",
        "open_annotation_payload",
        ANNOTATION,
        ANNOTATION,
        msgspec.json.encode(ANNOTATION),
        "annotation_versions",
        "payload",
    ),
    Kind(
        "seal_annotation_payload",
        "open_annotation_payload_json",
        ANNOTATION,
        msgspec.json.encode(ANNOTATION),
        msgspec.json.encode(ANNOTATION),
        "annotation_versions",
        "payload",
    ),
    Kind(
        "seal_review_comment",
        "open_review_comment",
        "Box is off by a few pixels — résumé ✓",
        "Box is off by a few pixels — résumé ✓",
        "Box is off by a few pixels — résumé ✓".encode(),
        "reviews",
        "comment",
    ),
    Kind(
        "seal_item_name",
        "open_item_name",
        "radiograph-001.png",
        "radiograph-001.png",
        b"radiograph-001.png",
        "data_items",
        "name",
    ),
    Kind(
        "seal_item_attributes",
        "open_item_attributes",
        ATTRIBUTES,
        ATTRIBUTES,
        msgspec.json.encode(ATTRIBUTES),
        "data_items",
        "attributes",
    ),
    Kind(
        "seal_item_text",
        "open_item_text_utf8",
        "Patient reports päin in the left knee.",
        "Patient reports päin in the left knee.".encode(),
        "Patient reports päin in the left knee.".encode(),
        "data_items",
        "text",
    ),
    Kind(
        "seal_draft_payload",
        "open_draft_payload",
        ANNOTATION,
        ANNOTATION,
        msgspec.json.encode(ANNOTATION),
        "annotation_drafts",
        "payload",
    ),
    Kind(
        "seal_job_failure",
        "open_job_failure",
        "task 2004: photo-of-patient-17.png is not uploaded",
        "task 2004: photo-of-patient-17.png is not uploaded",
        b"task 2004: photo-of-patient-17.png is not uploaded",
        "jobs",
        "failure_detail",
    ),
]
#: Pairs of kinds bound to different places: a value of the first never opens as the second.
OTHER_KINDS = [
    (sealed, opened)
    for sealed, opened in itertools.permutations(KINDS, 2)
    if (sealed.table, sealed.column) != (opened.table, opened.column)
]


def sealer(cipher: ContentCipher, kind: Kind) -> Callable[[uuid.UUID, Any], Awaitable[bytes]]:
    return cast(Callable[[uuid.UUID, Any], Awaitable[bytes]], getattr(cipher, kind.seal))


def opener(cipher: ContentCipher, kind: Kind) -> Callable[[uuid.UUID, bytes], Awaitable[Any]]:
    return cast(Callable[[uuid.UUID, bytes], Awaitable[Any]], getattr(cipher, kind.open))


def test_every_kind_of_sealed_column_is_covered() -> None:
    methods = {name for name in vars(ContentCipher) if name.startswith(("seal_", "open_"))}
    assert methods == {kind.seal for kind in KINDS} | {kind.open for kind in KINDS}


def test_callers_cannot_name_a_place() -> None:
    generic = {"seal", "open", "seal_text", "open_text", "seal_json", "open_json"}
    assert generic.isdisjoint(vars(ContentCipher))


@pytest.mark.parametrize("kind", KINDS, ids=str)
class TestKind:
    async def test_round_trip(self, kind: Kind) -> None:
        cipher = cipher_of()
        sealed = await sealer(cipher, kind)(ROW, kind.value)
        assert kind.plaintext not in sealed
        assert await opener(cipher, kind)(ROW, sealed) == kind.opened

    async def test_another_row_does_not_open(self, kind: Kind) -> None:
        cipher = cipher_of()
        sealed = await sealer(cipher, kind)(ROW, kind.value)
        with pytest.raises(DecryptionFailed):
            await opener(cipher, kind)(OTHER_ROW, sealed)

    async def test_another_organization_does_not_open(self, kind: Kind) -> None:
        sealed = await sealer(cipher_of(), kind)(ROW, kind.value)
        with pytest.raises(DecryptionFailed):
            await opener(cipher_of(OTHER_ORG), kind)(ROW, sealed)

    async def test_a_damaged_value_does_not_open(self, kind: Kind) -> None:
        cipher = cipher_of()
        sealed = bytearray(await sealer(cipher, kind)(ROW, kind.value))
        sealed[-1] ^= 0x01
        with pytest.raises(DecryptionFailed):
            await opener(cipher, kind)(ROW, bytes(sealed))

    async def test_binds_the_same_associated_data_as_before(self, kind: Kind) -> None:
        ad = field_ad(ORG, kind.table, ROW, kind.column)
        sealed = await sealer(cipher_of(), kind)(ROW, kind.value)
        assert open_field(sealed, key=KEY, associated_data=ad) == kind.plaintext

    async def test_opens_what_was_stored_before(self, kind: Kind) -> None:
        ad = field_ad(ORG, kind.table, ROW, kind.column)
        stored = seal_field(kind.plaintext, key=KEY, key_id=KEY_ID, key_version=1, associated_data=ad)
        assert await opener(cipher_of(), kind)(ROW, stored) == kind.opened


@pytest.mark.parametrize(("sealed_as", "opened_as"), OTHER_KINDS, ids=str)
async def test_a_value_does_not_open_as_another_kind(sealed_as: Kind, opened_as: Kind) -> None:
    cipher = cipher_of()
    sealed = await sealer(cipher, sealed_as)(ROW, sealed_as.value)
    with pytest.raises(DecryptionFailed):
        await opener(cipher, opened_as)(ROW, sealed)
