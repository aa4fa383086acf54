"""One organization's customer content, sealed and opened: what services call instead of a cipher.

Owns the associated data of each kind of content, so that services cannot get it wrong: a column
value is bound to (organization, table, row, column) and a stored object to (organization, item), and
a name's blind index to (organization, dataset). Services seal and open each kind of column value
through its own pair of methods (``seal_item_name`` / ``open_item_name``, ...) and never name a
table or column. Keys come from the ``KeyRing``; the formats are
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
_JOB_FILE_AD_LABEL = b"enclave/job-file/v1"
_NAME_INDEX_LABEL = b"enclave/name-index/v1"

# Tables and columns named in the associated data of sealed column values (see ``fields.field_ad``).
# Stored ciphertexts are bound to these exact strings: never change them.
_ANNOTATIONS = "annotation_versions"
_PAYLOAD = "payload"
_REVIEWS = "reviews"
_COMMENT = "comment"
_ITEMS = "data_items"
_NAME = "name"
_ATTRIBUTES = "attributes"
_TEXT = "text"
_DRAFTS = "annotation_drafts"
_JOBS = "jobs"
_FAILURE_DETAIL = "failure_detail"


def object_ad(organization_id: uuid.UUID, item_id: uuid.UUID) -> bytes:
    """Associated data of an item's stored object: ``label ‖ org (16) ‖ item (16)``."""
    return _OBJECT_AD_LABEL + organization_id.bytes + item_id.bytes


def job_file_ad(organization_id: uuid.UUID, job_id: uuid.UUID, key: str) -> bytes:
    """Associated data of a job's stored file (an export's artifact, an import's input):
    ``label ‖ org (16) ‖ job (16) ‖ object key``. The key names the attempt and the role of the
    file, so one attempt's artifact can never be served as another's, nor an input as an artifact."""
    return _JOB_FILE_AD_LABEL + organization_id.bytes + job_id.bytes + key.encode("utf-8")


class ContentCipher:
    """Seals and opens one organization's content inside one request's (tenant-bound) session."""

    def __init__(self, keyring: KeyRing, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self._keyring = keyring
        self._session = session
        self.organization_id = organization_id

    # --- column values -------------------------------------------------------------------------
    # One pair per kind of sealed column value. Each binds the value to (organization, table, row,
    # column) with the table and column names below: they are part of every stored ciphertext, so
    # they must never change (a renamed table keeps its old name here).

    async def seal_annotation_payload(self, version_id: uuid.UUID, payload: Any) -> bytes:
        """An annotation version's payload, as JSON."""
        return await self._seal(msgspec.json.encode(payload), _ANNOTATIONS, version_id, _PAYLOAD)

    async def open_annotation_payload(self, version_id: uuid.UUID, sealed: bytes) -> Any:
        """An annotation version's payload, decoded from its JSON."""
        return msgspec.json.decode(await self.open_annotation_payload_json(version_id, sealed))

    async def open_annotation_payload_json(self, version_id: uuid.UUID, sealed: bytes) -> bytes:
        """An annotation version's payload as the JSON bytes it was sealed as (not decoded: for
        passing on as it is, as an export does)."""
        return await self._open(sealed, _ANNOTATIONS, version_id, _PAYLOAD)

    async def seal_draft_payload(self, draft_id: uuid.UUID, payload: Any) -> bytes:
        return await self._seal(msgspec.json.encode(payload), _DRAFTS, draft_id, _PAYLOAD)

    async def open_draft_payload(self, draft_id: uuid.UUID, sealed: bytes) -> Any:
        return msgspec.json.decode(await self._open(sealed, _DRAFTS, draft_id, _PAYLOAD))

    async def seal_review_comment(self, review_id: uuid.UUID, comment: str) -> bytes:
        return await self._seal(comment.encode("utf-8"), _REVIEWS, review_id, _COMMENT)

    async def open_review_comment(self, review_id: uuid.UUID, sealed: bytes) -> str:
        return (await self._open(sealed, _REVIEWS, review_id, _COMMENT)).decode("utf-8")

    async def seal_job_failure(self, job_id: uuid.UUID, detail: str) -> bytes:
        return await self._seal(detail.encode("utf-8"), _JOBS, job_id, _FAILURE_DETAIL)

    async def open_job_failure(self, job_id: uuid.UUID, sealed: bytes) -> str:
        return (await self._open(sealed, _JOBS, job_id, _FAILURE_DETAIL)).decode("utf-8")

    async def seal_item_name(self, item_id: uuid.UUID, name: str) -> bytes:
        return await self._seal(name.encode("utf-8"), _ITEMS, item_id, _NAME)

    async def open_item_name(self, item_id: uuid.UUID, sealed: bytes) -> str:
        return (await self._open(sealed, _ITEMS, item_id, _NAME)).decode("utf-8")

    async def seal_item_attributes(self, item_id: uuid.UUID, attributes: Any) -> bytes:
        """An item's attributes, as JSON."""
        return await self._seal(msgspec.json.encode(attributes), _ITEMS, item_id, _ATTRIBUTES)

    async def open_item_attributes(self, item_id: uuid.UUID, sealed: bytes) -> Any:
        return msgspec.json.decode(await self._open(sealed, _ITEMS, item_id, _ATTRIBUTES))

    async def seal_item_text(self, item_id: uuid.UUID, text: str) -> bytes:
        """A text item's content, as UTF-8."""
        return await self._seal(text.encode("utf-8"), _ITEMS, item_id, _TEXT)

    async def open_item_text_utf8(self, item_id: uuid.UUID, sealed: bytes) -> bytes:
        """A text item's content as its UTF-8 bytes (not decoded: it is served by byte range)."""
        return await self._open(sealed, _ITEMS, item_id, _TEXT)

    async def _seal(self, plaintext: bytes, table: str, row_id: uuid.UUID, column: str) -> bytes:
        key = await self._keyring.sealing_key(self.organization_id)
        return fields.seal_field(
            plaintext,
            key=key.plaintext,
            key_id=key.key_id,
            key_version=key.key_version,
            associated_data=fields.field_ad(self.organization_id, table, row_id, column),
        )

    async def _open(self, sealed: bytes, table: str, row_id: uuid.UUID, column: str) -> bytes:
        key_id, _ = fields.field_key_ref(sealed)
        key = await self._keyring.opening_key(self._session, self.organization_id, key_id)
        return fields.open_field(
            sealed, key=key, associated_data=fields.field_ad(self.organization_id, table, row_id, column)
        )

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
        return await self._opener(header_bytes, object_ad(self.organization_id, item_id))

    async def job_file_sealer(self, job_id: uuid.UUID, key: str) -> ObjectSealer:
        """What encrypts a job's file (stored under ``key``) as it is written."""
        return ObjectSealer(
            await self._keyring.sealing_key(self.organization_id),
            job_file_ad(self.organization_id, job_id, key),
        )

    async def job_file_opener(self, job_id: uuid.UUID, key: str, header_bytes: bytes) -> ObjectOpener:
        """What decrypts a job's file (or a range of it)."""
        return await self._opener(header_bytes, job_file_ad(self.organization_id, job_id, key))

    async def _opener(self, header_bytes: bytes, associated_data: bytes) -> ObjectOpener:
        header = segmented.read_header(header_bytes)
        key = await self._keyring.opening_key(self._session, self.organization_id, header.key_id)
        return ObjectOpener(key, header, associated_data)


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


__all__ = ["ContentCipher", "DecryptionFailed", "ObjectOpener", "ObjectSealer", "job_file_ad", "object_ad"]
