"""Creates datasets and imports item metadata; an import is all-or-nothing. Item names and
attributes are customer content: they are sealed before they reach the database and opened on the
way out; names stay unique per dataset through their blind index."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal, cast

import anyio.to_thread
import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.datasets.schemas import (
    BucketLocation,
    DataItem,
    DataItemImport,
    DataItemImported,
    DataItemPage,
    Dataset,
    DatasetCreate,
    DatasetPage,
)
from enclave.datasets.texts import TextRecord
from enclave.db.models import DataItem as ItemRow
from enclave.db.models import Dataset as DatasetRow
from enclave.db.models.base import new_id
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import page
from enclave.domain.errors import Conflict, InvalidInput, NotFound
from enclave.storage.locations import Location
from enclave.storage.objects import ObjectStore
from enclave.storage.sniff import TEXT_PLAIN_UTF8

ITEMS = "data_items"


class DatasetRepository(TenantRepository[DatasetRow]):
    model = DatasetRow


class DataItemRepository(TenantRepository[ItemRow]):
    model = ItemRow

    async def any_named(self, dataset_id: uuid.UUID, indexes: Sequence[bytes]) -> bool:
        statement = self.select().where(ItemRow.dataset_id == dataset_id, ItemRow.name_index.in_(indexes))
        return (await self.session.execute(statement.limit(1))).first() is not None


def to_schema(row: DatasetRow) -> Dataset:
    storage = msgspec.convert(row.storage, BucketLocation) if row.storage else None
    return Dataset(row.id, row.name, cast(Literal["image", "text"], row.kind), row.created_at, storage)


def location(bucket: BucketLocation) -> Location:
    return Location(bucket.endpoint, bucket.bucket, bucket.prefix, bucket.region, bucket.credentials)


def location_of(row: DatasetRow) -> Location | None:
    """Where a dataset's objects live: a customer bucket, or None for the organization's bucket."""
    return location_of_storage(row.storage)


def location_of_storage(storage: dict[str, Any] | None) -> Location | None:
    return location(msgspec.convert(storage, BucketLocation)) if storage else None


class DatasetService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID, cipher: ContentCipher) -> None:
        self.session = session
        self.cipher = cipher
        self.datasets = DatasetRepository(session, organization_id)
        self.items = DataItemRepository(session, organization_id)

    async def row(self, dataset_id: uuid.UUID) -> DatasetRow:
        row = await self.datasets.get(dataset_id)
        if row is None:
            raise NotFound("No such dataset.")
        return row

    async def get(self, dataset_id: uuid.UUID) -> Dataset:
        return to_schema(await self.row(dataset_id))

    async def list(self, cursor: str | None, limit: int) -> DatasetPage:
        result = await page(self.session, self.datasets.select(), DatasetRow, cursor, limit)
        return DatasetPage([to_schema(row) for row in result.items], result.next_cursor)

    async def create(self, data: DatasetCreate, store: ObjectStore) -> Dataset:
        taken = await self.session.execute(self.datasets.select().where(DatasetRow.name == data.name))
        if taken.first() is not None:
            raise Conflict("A dataset with this name already exists.")
        if data.storage is not None:  # a customer bucket: allowed, and reachable with its credentials
            await anyio.to_thread.run_sync(store.check, location(data.storage))
        storage = msgspec.to_builtins(data.storage) if data.storage is not None else None
        row = self.datasets.add(DatasetRow(id=new_id(), name=data.name, kind=data.kind, storage=storage))
        await self.session.flush()
        return to_schema(row)

    # --- items ---------------------------------------------------------------------------------

    async def check_new_names(self, dataset_id: uuid.UUID, names: Sequence[str]) -> Sequence[bytes]:
        """The names' blind indexes, once they are known to be unique in the import and not yet taken."""
        if len(set(names)) != len(names):
            raise InvalidInput("Item names must be unique within an import.")
        indexes = [await self.cipher.name_index(dataset_id, name) for name in names]
        if await self.items.any_named(dataset_id, indexes):
            raise Conflict("An item with one of these names is already in the dataset.")
        return indexes

    async def new_item(
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
                name=await self.cipher.seal_text(name, ITEMS, item_id, "name"),
                name_index=name_index,
                media_type=media_type,
                attributes=await self.cipher.seal_json(attributes, ITEMS, item_id, "attributes"),
                text=None if text is None else await self.cipher.seal_text(text, ITEMS, item_id, "text"),
                size=len(text.encode("utf-8")) if text is not None else size,
                stored=object_header is not None,
                object_header=object_header,
            )
        )

    async def import_items(self, dataset_id: uuid.UUID, data: DataItemImport) -> DataItemImported:
        await self.row(dataset_id)
        indexes = await self.check_new_names(dataset_id, [item.name for item in data.items])
        for item, index in zip(data.items, indexes, strict=True):
            await self.new_item(
                dataset_id,
                name=item.name,
                name_index=index,
                media_type=item.media_type,
                attributes=item.attributes,
            )
        await self.session.flush()
        return DataItemImported(len(data.items))

    async def import_texts(self, dataset_id: uuid.UUID, records: Sequence[TextRecord]) -> DataItemImported:
        dataset = await self.row(dataset_id)
        if dataset.kind != "text":
            raise InvalidInput("Text imports go into text datasets.")
        indexes = await self.check_new_names(dataset_id, [record.name for record in records])
        for record, index in zip(records, indexes, strict=True):
            await self.new_item(
                dataset_id,
                name=record.name,
                name_index=index,
                media_type=TEXT_PLAIN_UTF8,
                attributes=record.attributes,
                text=record.text,
            )
        await self.session.flush()
        return DataItemImported(len(records))

    async def item_schema(self, row: ItemRow) -> DataItem:
        return DataItem(
            row.id,
            row.dataset_id,
            await self.cipher.open_text(row.name, ITEMS, row.id, "name"),
            row.media_type,
            await self.cipher.open_json(row.attributes, ITEMS, row.id, "attributes"),
            row.size,
            row.created_at,
        )

    async def list_items(self, dataset_id: uuid.UUID, cursor: str | None, limit: int) -> DataItemPage:
        await self.row(dataset_id)
        statement = self.items.select().where(ItemRow.dataset_id == dataset_id)
        result = await page(self.session, statement, ItemRow, cursor, limit)
        return DataItemPage([await self.item_schema(row) for row in result.items], result.next_cursor)

    async def item_with_storage(self, item_id: uuid.UUID) -> tuple[ItemRow, dict[str, Any] | None]:
        """An item and its dataset's storage setting, in one query."""
        statement = (
            self.items.scoped(select(ItemRow, DatasetRow.storage))
            .join(DatasetRow, DatasetRow.id == ItemRow.dataset_id)
            .where(ItemRow.id == item_id)
        )
        found = (await self.session.execute(statement)).first()
        if found is None:
            raise NotFound("No such item.")
        return found[0], found[1]

    async def item(self, item_id: uuid.UUID) -> ItemRow:
        row = await self.items.get(item_id)
        if row is None:
            raise NotFound("No such item.")
        return row
