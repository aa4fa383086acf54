"""The datasets service, the domain's one: creates datasets, imports item metadata and texts, takes
uploads and bucket imports, and serves item content, answering with the domain's schemas. Item names,
attributes and texts are customer content: sealed before they reach the database and opened on the
way out; names stay unique per dataset through their blind index; an import is all-or-nothing. Rows
are read and written only through ``enclave.db.repositories.datasets``, bytes only through
``uploads`` (encrypting into storage) and ``content`` (decrypting out of it). Must never hand an ORM
row to its callers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal, cast

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.datasets import content, uploads
from enclave.datasets.content import Content, StoredItem
from enclave.datasets.schemas import (
    BucketLocation,
    DataItem,
    DataItemImport,
    DataItemImported,
    DataItemPage,
    Dataset,
    DatasetCreate,
    DatasetPage,
    ImportRequest,
    ImportResult,
    Rejected,
)
from enclave.datasets.texts import TextRecord
from enclave.db.models import DataItem as ItemRow
from enclave.db.models import Dataset as DatasetRow
from enclave.db.models.base import new_id
from enclave.db.repositories.datasets import DataItemRepository, DatasetRepository
from enclave.domain.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedContent
from enclave.storage.homes import OrganizationObjects
from enclave.storage.image_size import ImageSizeProbe
from enclave.storage.locations import Location
from enclave.storage.objects import StoredObject
from enclave.storage.sniff import TEXT_PLAIN_UTF8


def _dataset_schema(row: DatasetRow) -> Dataset:
    storage = msgspec.convert(row.storage, BucketLocation) if row.storage else None
    return Dataset(row.id, row.name, _kind(row), row.created_at, storage)


def _kind(row: DatasetRow) -> Literal["image", "text"]:
    return cast(Literal["image", "text"], row.kind)


def _location(bucket: BucketLocation) -> Location:
    return Location(bucket.endpoint, bucket.bucket, bucket.prefix, bucket.region, bucket.credentials)


def _location_of(row: DatasetRow) -> Location | None:
    """Where a dataset's objects live: a customer bucket, or None for the organization's bucket."""
    return _location_of_storage(row.storage)


def _location_of_storage(storage: dict[str, Any] | None) -> Location | None:
    return _location(msgspec.convert(storage, BucketLocation)) if storage else None


class DatasetService:
    def __init__(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        cipher: ContentCipher,
        objects: OrganizationObjects,
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.objects = objects
        self.datasets = DatasetRepository(session, organization_id)
        self.items = DataItemRepository(session, organization_id)

    async def _dataset(self, dataset_id: uuid.UUID) -> DatasetRow:
        row = await self.datasets.get(dataset_id)
        if row is None:
            raise NotFound("No such dataset.")
        return row

    async def get(self, dataset_id: uuid.UUID) -> Dataset:
        return _dataset_schema(await self._dataset(dataset_id))

    async def list(self, cursor: str | None, limit: int) -> DatasetPage:
        result = await self.datasets.page_datasets(cursor, limit)
        return DatasetPage([_dataset_schema(row) for row in result.items], result.next_cursor)

    async def create(self, data: DatasetCreate) -> Dataset:
        if await self.datasets.name_taken(data.name):
            raise Conflict("A dataset with this name already exists.")
        if data.storage is not None:  # a customer bucket: allowed, and reachable with its credentials
            await anyio.to_thread.run_sync(self.objects.check, _location(data.storage))
        storage = msgspec.to_builtins(data.storage) if data.storage is not None else None
        row = self.datasets.add(DatasetRow(id=new_id(), name=data.name, kind=data.kind, storage=storage))
        await self.session.flush()
        return _dataset_schema(row)

    # --- items ---------------------------------------------------------------------------------

    async def _check_new_names(self, dataset_id: uuid.UUID, names: Sequence[str]) -> Sequence[bytes]:
        """The names' blind indexes, once they are known to be unique in the import and not yet taken."""
        if len(set(names)) != len(names):
            raise InvalidInput("Item names must be unique within an import.")
        indexes = [await self.cipher.name_index(dataset_id, name) for name in names]
        if await self.items.any_named(dataset_id, indexes):
            raise Conflict("An item with one of these names is already in the dataset.")
        return indexes

    async def _new_item(
        self,
        dataset_id: uuid.UUID,
        *,
        name: str,
        name_index: bytes,
        media_type: str,
        attributes: dict[str, Any],
        item_id: uuid.UUID | None = None,
        text: str | None = None,
        size: int | None = None,
        object_header: bytes | None = None,
    ) -> ItemRow:
        """Adds one item with its content sealed to its row (the caller flushes)."""
        item_id = item_id or new_id()
        return self.items.add(
            ItemRow(
                id=item_id,
                dataset_id=dataset_id,
                name=await self.cipher.seal_item_name(item_id, name),
                name_index=name_index,
                media_type=media_type,
                attributes=await self.cipher.seal_item_attributes(item_id, attributes),
                text=None if text is None else await self.cipher.seal_item_text(item_id, text),
                size=len(text.encode("utf-8")) if text is not None else size,
                stored=object_header is not None,
                object_header=object_header,
            )
        )

    async def import_items(self, dataset_id: uuid.UUID, data: DataItemImport) -> DataItemImported:
        await self._dataset(dataset_id)
        indexes = await self._check_new_names(dataset_id, [item.name for item in data.items])
        for item, index in zip(data.items, indexes, strict=True):
            await self._new_item(
                dataset_id,
                name=item.name,
                name_index=index,
                media_type=item.media_type,
                attributes=item.attributes,
            )
        await self.session.flush()
        return DataItemImported(len(data.items))

    async def import_texts(self, dataset_id: uuid.UUID, records: Sequence[TextRecord]) -> DataItemImported:
        return DataItemImported(len(await self.add_texts(dataset_id, records)))

    async def add_texts(self, dataset_id: uuid.UUID, records: Sequence[TextRecord]) -> tuple[uuid.UUID, ...]:
        """Adds text items (their names new to the dataset); returns their ids, in order."""
        dataset = await self._dataset(dataset_id)
        if dataset.kind != "text":
            raise InvalidInput("Text imports go into text datasets.")
        indexes = await self._check_new_names(dataset_id, [record.name for record in records])
        ids: tuple[uuid.UUID, ...] = ()
        for record, index in zip(records, indexes, strict=True):
            row = await self._new_item(
                dataset_id,
                name=record.name,
                name_index=index,
                media_type=TEXT_PLAIN_UTF8,
                attributes=record.attributes,
                text=record.text,
            )
            ids += (row.id,)
        await self.session.flush()
        return ids

    async def _item_schema(self, row: ItemRow) -> DataItem:
        return DataItem(
            row.id,
            row.dataset_id,
            await self.cipher.open_item_name(row.id, row.name),
            row.media_type,
            await self.cipher.open_item_attributes(row.id, row.attributes),
            row.size,
            row.created_at,
        )

    async def list_items(self, dataset_id: uuid.UUID, cursor: str | None, limit: int) -> DataItemPage:
        await self._dataset(dataset_id)
        result = await self.items.page_items(dataset_id, cursor, limit)
        return DataItemPage([await self._item_schema(row) for row in result.items], result.next_cursor)

    # --- uploads and bucket imports (the bytes stream through ``uploads``) ---------------------

    async def upload(
        self,
        dataset_id: uuid.UUID,
        name: str,
        declared_type: str | None,
        content_length: int | None,
        body: AsyncIterator[bytes],
        max_bytes: int,
    ) -> DataItem:
        """Stores one file, encrypted as it streams, as a new item of the dataset."""
        dataset = await self._dataset(dataset_id)
        if content_length is not None and content_length > max_bytes:
            raise TooLarge(f"A file may be at most {max_bytes} bytes.")
        (index,) = await self._check_new_names(dataset_id, [name])
        head, rest = await uploads.leading_bytes(body)
        media_type = uploads.sniffed(_kind(dataset), head, declared_type)
        counted = uploads.SizeCounter(max_bytes, content_length)
        row = await self._store(dataset, name, index, media_type, counted, counted.wrap(head, rest, body))
        return await self._item_schema(row)

    async def import_from(self, dataset_id: uuid.UUID, data: ImportRequest, max_bytes: int) -> ImportResult:
        """Imports up to ``data.limit`` objects listed under the source's prefix (after
        ``data.start_after``): each is read, sniffed, encrypted and stored like an upload. Objects
        that cannot be items are listed as rejected; a fault undoes the whole call (its stored
        objects are removed)."""
        dataset = await self._dataset(dataset_id)
        source = _location(data.source)
        listing = await anyio.to_thread.run_sync(
            self.objects.list_source, source, data.start_after, data.limit
        )
        created: list[uuid.UUID] = []
        rejected: list[Rejected] = []
        try:
            for entry in listing:
                outcome = await self._import_one(dataset, source, entry, max_bytes)
                if isinstance(outcome, str):
                    rejected.append(Rejected(entry.key, outcome))
                else:
                    created.append(outcome)
        except BaseException:
            where = _location_of(dataset)
            for item_id in created:
                await uploads.delete_object(self.objects, item_id, where)
            raise
        next_start_after = listing[-1].key if len(listing) == data.limit else None
        return ImportResult(len(created), rejected, next_start_after)

    async def _import_one(
        self, dataset: DatasetRow, source: Location, entry: StoredObject, max_bytes: int
    ) -> uuid.UUID | str:
        """The new item's id, or why the object cannot be one."""
        name = entry.key[len(source.prefix) :]
        if not 1 <= len(name) <= 500 or any(ord(c) < 0x20 for c in name):
            return "the name must be 1 to 500 printable characters"
        if entry.size > max_bytes:
            return f"larger than {max_bytes} bytes"
        try:
            (index,) = await self._check_new_names(dataset.id, [name])
        except Conflict:
            return "an item of this name is already in the dataset"
        chunks = await anyio.to_thread.run_sync(self.objects.read_source, source, entry.key)
        head, rest = await anyio.to_thread.run_sync(uploads.leading_bytes_of, chunks)
        try:
            media_type = uploads.sniffed(_kind(dataset), head, None)
        except (UnsupportedContent, InvalidInput) as refused:
            chunks.close()  # type: ignore[attr-defined]
            return refused.message
        counted = uploads.SizeCounter(max_bytes, entry.size)
        row = await self._store(dataset, name, index, media_type, counted, counted.chain(head, rest, chunks))
        return row.id

    async def _store(
        self,
        dataset: DatasetRow,
        name: str,
        index: bytes,
        media_type: str,
        counted: uploads.SizeCounter,
        plaintext: Iterator[bytes],
    ) -> ItemRow:
        """Encrypts and stores one object, then adds its item (removing the object if that fails);
        an image's size is read from its first bytes on the way."""
        where = _location_of(dataset)
        probe = ImageSizeProbe()
        if _kind(dataset) == "image":
            plaintext = probe.through(plaintext)
        item_id, header = await uploads.put_object(self.cipher, self.objects, where, counted, plaintext)
        try:
            row = await self._new_item(
                dataset.id,
                item_id=item_id,
                name=name,
                name_index=index,
                media_type=media_type,
                attributes={},
                size=counted.seen,
                object_header=header,
            )
            if probe.size is not None:
                row.width, row.height = probe.size
            await self.session.flush()
        except BaseException:
            await uploads.delete_object(self.objects, item_id, where)
            raise
        return row

    # --- content (the bytes leave storage through ``content``) ---------------------------------

    async def stored_item(self, item_id: uuid.UUID) -> StoredItem:
        """What serving the item's content needs, in one query; 404 when it has no content."""
        found = await self.items.with_storage(item_id)
        if found is None:
            raise NotFound("No such item.")
        row = found.item
        if row.size is None:
            raise NotFound("This item has no content.")
        return StoredItem(
            row.id, row.media_type, row.size, row.text, row.object_header, _location_of_storage(found.storage)
        )

    async def read_content(self, item: StoredItem, start: int, end: int) -> Content:
        """Plaintext ``[start, end)`` of the item's content (``end`` exclusive, within its size)."""
        return await content.read(self.cipher, self.objects, item, start, end)
