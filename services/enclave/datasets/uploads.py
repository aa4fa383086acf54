"""File uploads and imports from a customer's bucket: the bytes stream through sniffing, a size limit
and encryption into the dataset's bucket, and the item row is written only once the whole object is
stored.

Nothing is held in memory beyond one segment and one storage part. The data key is fetched before
the first byte is read, so with Vault down the upload fails (503) having stored nothing; any failure
while streaming aborts the multipart upload, and a row that cannot be written removes its object.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from typing import Any

import anyio.from_thread
import anyio.to_thread
from litestar import Request

from enclave.crypto.content import ContentCipher
from enclave.datasets.schemas import DataItem, ImportResult, Rejected
from enclave.datasets.service import DatasetService, location_of, to_schema
from enclave.db.models import DataItem as ItemRow
from enclave.db.models import Dataset as DatasetRow
from enclave.db.models.base import new_id
from enclave.domain.errors import Conflict, InvalidInput, TooLarge, UnsupportedContent
from enclave.storage import sniff
from enclave.storage.locations import Location
from enclave.storage.objects import ObjectStore, StoredObject


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


async def _head(body: AsyncIterator[bytes]) -> tuple[bytes, bytes]:
    """At least ``SNIFF_BYTES`` leading bytes (fewer only if the body is shorter), and whatever of
    the last chunk lies past them."""
    held = bytearray()
    async for chunk in body:
        held += chunk
        if len(held) >= sniff.SNIFF_BYTES:
            break
    data = bytes(held)
    return data[: sniff.SNIFF_BYTES], data[sniff.SNIFF_BYTES :]


class UploadService:
    def __init__(
        self, datasets: DatasetService, cipher: ContentCipher, store: ObjectStore, max_bytes: int
    ) -> None:
        self.datasets = datasets
        self.cipher = cipher
        self.store = store
        self.max_bytes = max_bytes

    async def upload(
        self,
        dataset_id: uuid.UUID,
        name: str,
        declared_type: str | None,
        content_length: int | None,
        body: AsyncIterator[bytes],
    ) -> DataItem:
        dataset = await self.datasets.row(dataset_id)
        if content_length is not None and content_length > self.max_bytes:
            raise TooLarge(f"A file may be at most {self.max_bytes} bytes.")
        (index,) = await self.datasets.check_new_names(dataset_id, [name])
        head, rest = await _head(body)
        media_type = _sniffed(dataset, head, declared_type)
        counted = _Counter(self.max_bytes, content_length)
        row = await self._store(dataset, name, index, media_type, counted, counted.wrap(head, rest, body))
        return await self.datasets.item_schema(row)

    async def import_from(
        self, dataset_id: uuid.UUID, source: Location, start_after: str | None, limit: int
    ) -> ImportResult:
        """Imports up to ``limit`` objects listed under the source's prefix (after ``start_after``):
        each is read, sniffed, encrypted and stored like an upload. Objects that cannot be items are
        listed as rejected; a fault undoes the whole call (its stored objects are removed)."""
        dataset = await self.datasets.row(dataset_id)
        listing = await anyio.to_thread.run_sync(self.store.list_source, source, start_after, limit)
        created: list[ItemRow] = []
        rejected: list[Rejected] = []
        try:
            for entry in listing:
                reason = await self._import_one(dataset, source, entry, created)
                if reason is not None:
                    rejected.append(Rejected(entry.key, reason))
        except BaseException:
            location = location_of(dataset)
            for row in created:
                await anyio.to_thread.run_sync(
                    self.store.delete, self.cipher.organization_id, str(row.id), location
                )
            raise
        next_start_after = listing[-1].key if len(listing) == limit else None
        return ImportResult(len(created), rejected, next_start_after)

    async def _import_one(
        self, dataset: DatasetRow, source: Location, entry: StoredObject, created: list[ItemRow]
    ) -> str | None:
        name = entry.key[len(source.prefix) :]
        if not 1 <= len(name) <= 500 or any(ord(c) < 0x20 for c in name):
            return "the name must be 1 to 500 printable characters"
        if entry.size > self.max_bytes:
            return f"larger than {self.max_bytes} bytes"
        try:
            (index,) = await self.datasets.check_new_names(dataset.id, [name])
        except Conflict:
            return "an item of this name is already in the dataset"
        chunks = await anyio.to_thread.run_sync(self.store.read_source, source, entry.key)
        head, rest = await anyio.to_thread.run_sync(_head_of, chunks)
        try:
            media_type = _sniffed(dataset, head, None)
        except (UnsupportedContent, InvalidInput) as refused:
            chunks.close()  # type: ignore[attr-defined]
            return refused.message
        counted = _Counter(self.max_bytes, entry.size)
        created.append(
            await self._store(dataset, name, index, media_type, counted, counted.chain(head, rest, chunks))
        )
        return None

    async def _store(
        self,
        dataset: DatasetRow,
        name: str,
        index: bytes,
        media_type: str,
        counted: _Counter,
        plaintext: Iterator[bytes],
    ) -> ItemRow:
        """Encrypts and stores one object, then adds its item (removing the object if that fails)."""
        item_id = new_id()
        sealer = await self.cipher.object_sealer(item_id)  # Vault first: 503 before anything is stored
        length = counted.content_length
        stored_length = -1 if length is None else sealer.stored_size(length)
        location = location_of(dataset)
        key = str(item_id)
        try:
            await anyio.to_thread.run_sync(
                self.store.put,
                self.cipher.organization_id,
                key,
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
        try:
            row = await self.datasets.new_item(
                dataset.id,
                item_id=item_id,
                name=name,
                name_index=index,
                media_type=media_type,
                attributes={},
                size=counted.seen,
                object_header=sealer.header,
            )
            await self.datasets.session.flush()
        except BaseException:
            await anyio.to_thread.run_sync(self.store.delete, self.cipher.organization_id, key, location)
            raise
        return row


def _sniffed(dataset: DatasetRow, head: bytes, declared_type: str | None) -> str:
    if not head:
        raise InvalidInput("The upload is empty.")
    try:
        return sniff.sniff(head, kind=to_schema(dataset).kind, declared=declared_type)
    except sniff.UnsupportedContent as error:
        raise UnsupportedContent(str(error)) from None


def _head_of(chunks: Iterator[bytes]) -> tuple[bytes, bytes]:
    """``_head`` for a blocking stream (an object read from a customer bucket)."""
    held = bytearray()
    for chunk in chunks:
        held += chunk
        if len(held) >= sniff.SNIFF_BYTES:
            break
    data = bytes(held)
    return data[: sniff.SNIFF_BYTES], data[sniff.SNIFF_BYTES :]


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


class _Counter:
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
