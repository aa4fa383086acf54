"""One organization's customer content, sealed and opened: what services call instead of a cipher.

Owns the associated data of each kind of content, so that services cannot get it wrong: a column
value is bound to (organization, table, row, column) and a stored object to (organization, item), and
a name's blind index to (organization, dataset). Keys come from the ``KeyRing``; the formats are
``fields`` and ``segmented``. Must never return plaintext that did not verify, and never log.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto import fields, segmented
from enclave.crypto.keyring import KeyRing, SealingKey
from enclave.crypto.segmented import DecryptionFailed, Header

_OBJECT_AD_LABEL = b"enclave/object/v1"
_NAME_INDEX_LABEL = b"enclave/name-index/v1"


def object_ad(organization_id: uuid.UUID, item_id: uuid.UUID) -> bytes:
    """Associated data of an item's stored object: ``label ‖ org (16) ‖ item (16)``."""
    return _OBJECT_AD_LABEL + organization_id.bytes + item_id.bytes


class ContentCipher:
    """Seals and opens one organization's content inside one request's (tenant-bound) session."""

    def __init__(self, keyring: KeyRing, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self._keyring = keyring
        self._session = session
        self.organization_id = organization_id

    # --- column values -------------------------------------------------------------------------

    async def seal(self, plaintext: bytes, table: str, row_id: uuid.UUID, column: str) -> bytes:
        key = await self._keyring.sealing_key(self.organization_id)
        return fields.seal_field(
            plaintext,
            key=key.plaintext,
            key_id=key.key_id,
            key_version=key.key_version,
            associated_data=fields.field_ad(self.organization_id, table, row_id, column),
        )

    async def open(self, sealed: bytes, table: str, row_id: uuid.UUID, column: str) -> bytes:
        key_id, _ = fields.field_key_ref(sealed)
        key = await self._keyring.opening_key(self._session, self.organization_id, key_id)
        return fields.open_field(
            sealed, key=key, associated_data=fields.field_ad(self.organization_id, table, row_id, column)
        )

    async def seal_text(self, text: str, table: str, row_id: uuid.UUID, column: str) -> bytes:
        return await self.seal(text.encode("utf-8"), table, row_id, column)

    async def open_text(self, sealed: bytes, table: str, row_id: uuid.UUID, column: str) -> str:
        return (await self.open(sealed, table, row_id, column)).decode("utf-8")

    async def seal_json(self, value: Any, table: str, row_id: uuid.UUID, column: str) -> bytes:
        return await self.seal(msgspec.json.encode(value), table, row_id, column)

    async def open_json(self, sealed: bytes, table: str, row_id: uuid.UUID, column: str) -> Any:
        return msgspec.json.decode(await self.open(sealed, table, row_id, column))

    # --- blind index ---------------------------------------------------------------------------

    async def name_index(self, dataset_id: uuid.UUID, name: str) -> bytes:
        """HMAC-SHA256 of a name within a dataset, under the organization's index key: equal names
        give equal indexes (uniqueness, lookups), and nothing else about the name shows."""
        key = await self._keyring.index_key(self.organization_id)
        message = _NAME_INDEX_LABEL + dataset_id.bytes + name.encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).digest()

    # --- objects -------------------------------------------------------------------------------

    async def object_sealer(self, item_id: uuid.UUID) -> ObjectSealer:
        """What encrypts one item's object as it streams in (the key is fetched now, while async)."""
        return ObjectSealer(
            await self._keyring.sealing_key(self.organization_id), object_ad(self.organization_id, item_id)
        )

    async def object_opener(self, item_id: uuid.UUID, header_bytes: bytes) -> ObjectOpener:
        """What decrypts one item's object (or a range of it) as it streams out."""
        header = segmented.read_header(header_bytes)
        key = await self._keyring.opening_key(self._session, self.organization_id, header.key_id)
        return ObjectOpener(key, header, object_ad(self.organization_id, item_id))


class ObjectSealer:
    """Encrypts one object's plaintext chunks; the header of what it made stays readable after."""

    def __init__(self, key: SealingKey, associated_data: bytes) -> None:
        self._key = key
        self._ad = associated_data
        self.header: bytes | None = None

    def stored_size(self, plaintext_size: int) -> int:
        """The exact size of the object ``encrypt`` makes from ``plaintext_size`` bytes."""
        header = segmented.HEADER_FIXED_BYTES + len(self._key.key_id.encode("utf-8"))
        segments = max(1, -(-plaintext_size // segmented.DEFAULT_SEGMENT))
        return header + plaintext_size + segmented.TAG_BYTES * segments

    def encrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        stream = segmented.encrypt_stream(
            chunks,
            key=self._key.plaintext,
            key_id=self._key.key_id,
            key_version=self._key.key_version,
            associated_data=self._ad,
        )
        self.header = next(stream)
        yield self.header
        yield from stream


class ObjectOpener:
    """Decrypts one stored object, whole or by plaintext range."""

    def __init__(self, key: bytes, header: Header, associated_data: bytes) -> None:
        self._key = key
        self.header = header
        self._ad = associated_data

    def stored_size(self, plaintext_size: int) -> int:
        segments = max(1, -(-plaintext_size // self.header.segment_size))
        return self.header.size + plaintext_size + segmented.TAG_BYTES * segments

    def stored_range(self, start: int, end: int) -> segmented.StoredRange:
        return segmented.ciphertext_range(self.header, start, end)

    def decrypt(self, stored_chunks: Iterable[bytes]) -> Iterator[bytes]:
        return segmented.decrypt_stream(stored_chunks, key=self._key, associated_data=self._ad)

    def decrypt_range(
        self, stored_chunks: Iterable[bytes], plaintext_size: int, start: int, end: int
    ) -> Iterator[bytes]:
        return segmented.decrypt_range(
            stored_chunks,
            key=self._key,
            associated_data=self._ad,
            header=self.header,
            stored_size=self.stored_size(plaintext_size),
            plaintext_start=start,
            plaintext_end=end,
        )


__all__ = ["ContentCipher", "DecryptionFailed", "ObjectOpener", "ObjectSealer", "object_ad"]
