"""Serving an item's content: the bytes leave storage only through here, after the policy check,
decrypted segment by segment (a Range request decrypts only the segments it covers)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.to_thread

from enclave.crypto.content import ContentCipher
from enclave.crypto.segmented import DecryptionFailed
from enclave.datasets.service import ITEMS, DatasetService, location_of_storage
from enclave.db.models import DataItem as ItemRow
from enclave.domain.errors import NotFound
from enclave.storage.locations import Location
from enclave.storage.objects import ObjectStore


@dataclass(frozen=True, slots=True)
class Content:
    """What a response needs: the type, the full size, the served range and its bytes."""

    media_type: str
    size: int
    start: int
    end: int
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item with content, and where its object lives (None: the organization's bucket)."""

    row: ItemRow
    size: int
    location: Location | None


class ContentService:
    def __init__(self, datasets: DatasetService, cipher: ContentCipher, store: ObjectStore) -> None:
        self.datasets = datasets
        self.cipher = cipher
        self.store = store

    async def find(self, item_id: uuid.UUID) -> StoredItem:
        """The item and its dataset's storage, in one query; 404 when it has no content."""
        row, storage = await self.datasets.item_with_storage(item_id)
        if row.size is None:
            raise NotFound("This item has no content.")
        return StoredItem(row, row.size, location_of_storage(storage))

    async def read(self, item: StoredItem, start: int, end: int) -> Content:
        """Plaintext ``[start, end)`` of the item's content (``end`` exclusive, within its size)."""
        row = item.row
        if row.text is not None:
            text = await self.cipher.open(row.text, ITEMS, row.id, "text")
            return Content(row.media_type, item.size, start, end, _once(text[start:end]))
        if row.object_header is None:  # pragma: no cover — a stored item always keeps its header
            raise NotFound("This item has no content.")
        opener = await self.cipher.object_opener(row.id, row.object_header)  # Vault before storage
        span = opener.stored_range(start, end)
        stored_end = min(span.end, opener.stored_size(item.size))
        # Whole segments, one per chunk (nothing is re-cut or copied); a read from the start also
        # fetches the object's own header, which must be the one the database recorded.
        whole = span.start == opener.header.size
        stored = await anyio.to_thread.run_sync(
            functools.partial(
                self.store.get,
                self.cipher.organization_id,
                str(row.id),
                0 if whole else span.start,
                stored_end,
                item.location,
                chunk=opener.header.stored_segment_size,
                head=opener.header.size if whole else 0,
            )
        )
        if stored.size != opener.stored_size(item.size):
            raise DecryptionFailed("the stored object's size is not the one recorded for it")
        if whole:
            stored_header = await anyio.to_thread.run_sync(next, stored, b"")
            if stored_header != row.object_header:
                raise DecryptionFailed("the stored object's header is not the one recorded for it")
        plaintext = opener.decrypt_range(stored, item.size, start, end)
        # The first segment is verified before the response starts: damage there (a swapped object,
        # a changed header) is a clean 500; damage further on can only cut the transfer short.
        first = await anyio.to_thread.run_sync(next, plaintext, None)
        return Content(row.media_type, item.size, start, end, _in_thread(first, plaintext))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _in_thread(first: bytes | None, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Reads and decrypts each chunk in a worker thread, so the event loop never waits on either."""
    if first is None:
        return
    yield first
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk
