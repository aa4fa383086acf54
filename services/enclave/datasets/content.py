"""Serving an item's content: the bytes leave storage only through here, after the policy check,
decrypted segment by segment (a Range request decrypts only the segments it covers,
``web.sealed_objects``). The datasets service finds the item and calls ``read``. Must never run a query, nor
hand out a byte of an object whose size or header is not the one the database recorded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from enclave.crypto.content import ContentCipher
from enclave.domain.errors import NotFound
from enclave.storage.homes import OrganizationObjects
from enclave.storage.locations import Location
from enclave.web.sealed_objects import read_range


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


async def read(
    cipher: ContentCipher, objects: OrganizationObjects, item: StoredItem, start: int, end: int
) -> Content:
    """Plaintext ``[start, end)`` of the item's content (``end`` exclusive, within its size)."""
    if item.sealed_text is not None:
        text = await cipher.open_item_text_utf8(item.id, item.sealed_text)
        return Content(item.media_type, item.size, start, end, _once(text[start:end]))
    if item.object_header is None:  # pragma: no cover — a stored item always keeps its header
        raise NotFound("This item has no content.")
    opener = await cipher.object_opener(item.id, item.object_header)  # Vault before storage
    chunks = await read_range(
        opener,
        objects,
        str(item.id),
        item.object_header,
        item.size,
        start,
        end,
        item.location,
    )
    return Content(item.media_type, item.size, start, end, chunks)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
