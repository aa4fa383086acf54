"""Serving an item's content: the bytes leave storage only through here, after the policy check,
decrypted segment by segment (a Range request decrypts only the segments it covers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.to_thread

from enclave.crypto.content import ContentCipher
from enclave.datasets.service import ITEMS, DatasetService, location_of
from enclave.domain.errors import NotFound
from enclave.storage.objects import ObjectStore


@dataclass(frozen=True, slots=True)
class Content:
    """What a response needs: the type, the full size, the served range and its bytes."""

    media_type: str
    size: int
    start: int
    end: int
    chunks: AsyncIterator[bytes]


class ContentService:
    def __init__(self, datasets: DatasetService, cipher: ContentCipher, store: ObjectStore) -> None:
        self.datasets = datasets
        self.cipher = cipher
        self.store = store

    async def size_and_type(self, item_id: uuid.UUID) -> tuple[int, str]:
        row = await self.datasets.item(item_id)
        if row.size is None:
            raise NotFound("This item has no content.")
        return row.size, row.media_type

    async def read(self, item_id: uuid.UUID, start: int, end: int) -> Content:
        """Plaintext ``[start, end)`` of the item's content (``end`` exclusive, within its size)."""
        row = await self.datasets.item(item_id)
        if row.size is None:
            raise NotFound("This item has no content.")
        if row.text is not None:
            text = await self.cipher.open(row.text, ITEMS, row.id, "text")
            return Content(row.media_type, row.size, start, end, _once(text[start:end]))
        if row.object_header is None:  # pragma: no cover — a stored item always keeps its header
            raise NotFound("This item has no content.")
        opener = await self.cipher.object_opener(row.id, row.object_header)  # Vault before storage
        org = self.cipher.organization_id
        key = str(row.id)
        where = location_of(await self.datasets.row(row.dataset_id))
        if start == 0 and end == row.size:
            stored = await anyio.to_thread.run_sync(self.store.get, org, key, 0, None, where)
            plaintext = opener.decrypt(stored)
        else:
            span = opener.stored_range(start, end)
            stored_end = min(span.end, opener.stored_size(row.size))
            stored = await anyio.to_thread.run_sync(self.store.get, org, key, span.start, stored_end, where)
            plaintext = opener.decrypt_range(stored, row.size, start, end)
        # The first segment is verified before the response starts: damage there (a swapped object,
        # a changed header) is a clean 500; damage further on can only cut the transfer short.
        first = await anyio.to_thread.run_sync(next, plaintext, None)
        return Content(row.media_type, row.size, start, end, _in_thread(first, plaintext))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _in_thread(first: bytes | None, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Reads and decrypts each chunk in a worker thread, so the event loop never waits on either."""
    if first is None:
        return
    yield first
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk
