"""Serving an item's content: the bytes leave storage only through here, after the policy check,
decrypted segment by segment (a Range request decrypts only the segments it covers). Owns reading
and decrypting; the datasets service finds the item and calls ``read``. Must never run a query, nor
hand out a byte of an object whose size or header is not the one the database recorded."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.to_thread

from enclave.crypto.content import ContentCipher
from enclave.crypto.segmented import DecryptionFailed
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
    """What serving an item's content needs of it: its type and plaintext size, its sealed text or
    its stored object's header, and where that object lives (None: the organization's bucket)."""

    id: uuid.UUID
    media_type: str
    size: int
    sealed_text: bytes | None
    object_header: bytes | None
    location: Location | None


async def read(cipher: ContentCipher, store: ObjectStore, item: StoredItem, start: int, end: int) -> Content:
    """Plaintext ``[start, end)`` of the item's content (``end`` exclusive, within its size)."""
    if item.sealed_text is not None:
        text = await cipher.open_item_text_utf8(item.id, item.sealed_text)
        return Content(item.media_type, item.size, start, end, _once(text[start:end]))
    if item.object_header is None:  # pragma: no cover — a stored item always keeps its header
        raise NotFound("This item has no content.")
    opener = await cipher.object_opener(item.id, item.object_header)  # Vault before storage
    span = opener.stored_range(start, end)
    stored_end = min(span.end, opener.stored_size(item.size))
    # Whole segments, one per chunk (nothing is re-cut or copied); a read from the start also
    # fetches the object's own header, which must be the one the database recorded.
    whole = span.start == opener.header.size
    stored = await anyio.to_thread.run_sync(
        functools.partial(
            store.get,
            cipher.organization_id,
            str(item.id),
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
        if stored_header != item.object_header:
            raise DecryptionFailed("the stored object's header is not the one recorded for it")
    plaintext = opener.decrypt_range(stored, item.size, start, end)
    # The first segment is verified before the response starts: damage there (a swapped object,
    # a changed header) is a clean 500; damage further on can only cut the transfer short.
    first = await anyio.to_thread.run_sync(next, plaintext, None)
    return Content(item.media_type, item.size, start, end, _in_thread(first, plaintext))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _in_thread(first: bytes | None, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Reads and decrypts each chunk in a worker thread, so the event loop never waits on either."""
    if first is None:
        return
    yield first
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk
