"""File uploads and imports from a customer's bucket, the streaming half: the bytes stream through
sniffing, a size limit and encryption into the dataset's bucket. The datasets service decides what
is stored where and writes the item row, only once the whole object is stored.

Nothing is held in memory beyond one segment and one storage part. The data key is fetched before
the first byte is read, so with Vault down the upload fails (503) having stored nothing; any failure
while streaming aborts the multipart upload, and a row that cannot be written removes its object.
Must never run a query, nor let a plaintext byte reach storage.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from typing import Any, Literal

import anyio.from_thread
import anyio.to_thread
from litestar import Request

from enclave.crypto.content import ContentCipher
from enclave.db.models.base import new_id
from enclave.domain.errors import InvalidInput, TooLarge, UnsupportedContent
from enclave.storage import sniff
from enclave.storage.homes import OrganizationObjects
from enclave.storage.locations import Location


def upload_name(content_disposition: str | None) -> str:
    """The item name an upload carries in ``Content-Disposition`` (RFC 6266, ``filename*`` decoded)."""
    if not content_disposition:
        raise InvalidInput('Name the file: send Content-Disposition: attachment; filename="...".')
    message = Message()
    message["content-disposition"] = content_disposition
    name = message.get_filename()
    if not isinstance(name, str) or not 1 <= len(name) <= 500 or any(ord(c) < 0x20 for c in name):
        raise InvalidInput("The file name must be 1 to 500 printable characters.")
    return name


async def read_limited(request: Request[Any, Any, Any], max_bytes: int) -> bytes:
    """The whole body of a request that may be at most ``max_bytes`` long (413 beyond)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise TooLarge(f"The body may be at most {max_bytes} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge(f"The body may be at most {max_bytes} bytes.")
    return bytes(body)


class _BodyEnded(Exception):
    """The client sent fewer bytes than its Content-Length."""


async def leading_bytes(body: AsyncIterator[bytes]) -> tuple[bytes, bytes]:
    """At least ``SNIFF_BYTES`` leading bytes (fewer only if the body is shorter), and whatever of
    the last chunk lies past them."""
    held = bytearray()
    async for chunk in body:
        held += chunk
        if len(held) >= sniff.SNIFF_BYTES:
            break
    data = bytes(held)
    return data[: sniff.SNIFF_BYTES], data[sniff.SNIFF_BYTES :]


def leading_bytes_of(chunks: Iterator[bytes]) -> tuple[bytes, bytes]:
    """``leading_bytes`` for a blocking stream (an object read from a customer bucket)."""
    held = bytearray()
    for chunk in chunks:
        held += chunk
        if len(held) >= sniff.SNIFF_BYTES:
            break
    data = bytes(held)
    return data[: sniff.SNIFF_BYTES], data[sniff.SNIFF_BYTES :]


def sniffed(kind: Literal["image", "text"], head: bytes, declared_type: str | None) -> str:
    """The media type the leading bytes show for a dataset of this kind (415 when they cannot be one)."""
    if not head:
        raise InvalidInput("The upload is empty.")
    try:
        return sniff.sniff(head, kind=kind, declared=declared_type)
    except sniff.UnsupportedContent as error:
        raise UnsupportedContent(str(error)) from None


async def put_object(
    cipher: ContentCipher,
    objects: OrganizationObjects,
    location: Location | None,
    counted: SizeCounter,
    plaintext: Iterator[bytes],
) -> tuple[uuid.UUID, bytes | None]:
    """Encrypts and stores one object under a new item id, as it streams: the id and the object's
    header (the item's row is the caller's to write, and to remove the object if it cannot)."""
    item_id = new_id()
    sealer = await cipher.object_sealer(item_id)  # Vault first: 503 before anything is stored
    length = counted.content_length
    stored_length = -1 if length is None else sealer.stored_size(length)
    try:
        await anyio.to_thread.run_sync(
            objects.put,
            str(item_id),
            sealer.encrypt(plaintext),
            stored_length,
            location,
        )
    except _BodyEnded:
        raise InvalidInput("The upload ended before its Content-Length.") from None
    except OSError as error:
        # The minio client reports a stream that ran short of its length as an OSError.
        if counted.seen < (length or 0):
            raise InvalidInput("The upload ended before its Content-Length.") from error
        raise
    return item_id, sealer.header


async def delete_object(objects: OrganizationObjects, item_id: uuid.UUID, location: Location | None) -> None:
    await anyio.to_thread.run_sync(objects.delete, str(item_id), location)


#: Body bytes handed to the storage thread at a time: one hop between threads per MiB, not per
#: network read (the server hands the body over in pieces of a few KiB to 64 KiB).
_BATCH = 1024 * 1024


async def _next_batch(body: AsyncIterator[bytes]) -> bytes | None:
    """At least ``_BATCH`` bytes of the body (less only at its end); None once it has ended."""
    parts = []
    have = 0
    while have < _BATCH:
        chunk = await anext(body, None)
        if chunk is None:
            break
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts) if parts else None


class SizeCounter:
    """Counts plaintext as it streams from the event loop to the storage thread, and stops a body
    that runs past the size limit or its Content-Length (the upload is then aborted)."""

    def __init__(self, max_bytes: int, content_length: int | None) -> None:
        self.limit = min(max_bytes, content_length) if content_length is not None else max_bytes
        self.content_length = content_length
        self.seen = 0

    def _count(self, chunk: bytes) -> bytes:
        self.seen += len(chunk)
        if self.seen > self.limit:
            if self.content_length is not None and self.seen > self.content_length:
                raise InvalidInput("The upload is longer than its Content-Length.")
            raise TooLarge("The upload is larger than a file may be.")
        return chunk

    def chain(self, head: bytes, rest: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The same, for a blocking stream (already in the storage thread's world)."""
        yield self._count(head)
        if rest:
            yield self._count(rest)
        for chunk in chunks:
            yield self._count(chunk)
        if self.content_length is not None and self.seen < self.content_length:
            raise _BodyEnded

    def wrap(self, head: bytes, rest: bytes, body: AsyncIterator[bytes]) -> Iterator[bytes]:
        """A blocking iterator for the storage thread, pulling the body from the event loop."""
        yield self._count(head)
        if rest:
            yield self._count(rest)
        while True:
            chunk = anyio.from_thread.run(_next_batch, body)
            if chunk is None:
                break
            if chunk:
                yield self._count(chunk)
        if self.content_length is not None and self.seen < self.content_length:
            raise _BodyEnded
