"""Creates datasets and imports item metadata; an import is all-or-nothing."""

from __future__ import annotations

import uuid
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.datasets.schemas import (
    DataItem,
    DataItemImport,
    DataItemImported,
    DataItemPage,
    Dataset,
    DatasetCreate,
    DatasetPage,
)
from enclave.db.models import DataItem as ItemRow
from enclave.db.models import Dataset as DatasetRow
from enclave.db.models.base import new_id
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import page
from enclave.domain.errors import Conflict, InvalidInput, NotFound


class DatasetRepository(TenantRepository[DatasetRow]):
    model = DatasetRow


class DataItemRepository(TenantRepository[ItemRow]):
    model = ItemRow


def to_schema(row: DatasetRow) -> Dataset:
    return Dataset(row.id, row.name, cast(Literal["image", "text"], row.kind), row.created_at)


def item_schema(row: ItemRow) -> DataItem:
    return DataItem(row.id, row.dataset_id, row.name, row.media_type, row.attributes, row.created_at)


class DatasetService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
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

    async def create(self, data: DatasetCreate) -> Dataset:
        taken = await self.session.execute(self.datasets.select().where(DatasetRow.name == data.name))
        if taken.first() is not None:
            raise Conflict("A dataset with this name already exists.")
        row = self.datasets.add(DatasetRow(id=new_id(), name=data.name, kind=data.kind))
        await self.session.flush()
        return to_schema(row)

    async def import_items(self, dataset_id: uuid.UUID, data: DataItemImport) -> DataItemImported:
        await self.row(dataset_id)
        names = [item.name for item in data.items]
        if len(set(names)) != len(names):
            raise InvalidInput("Item names must be unique within an import.")
        existing = await self.session.execute(
            self.items.select().where(ItemRow.dataset_id == dataset_id, ItemRow.name.in_(names)).limit(1)
        )
        if existing.first() is not None:
            raise Conflict("An item with one of these names is already in the dataset.")
        for item in data.items:
            self.items.add(
                ItemRow(
                    id=new_id(),
                    dataset_id=dataset_id,
                    name=item.name,
                    media_type=item.media_type,
                    attributes=item.attributes,
                )
            )
        await self.session.flush()
        return DataItemImported(len(data.items))

    async def list_items(self, dataset_id: uuid.UUID, cursor: str | None, limit: int) -> DataItemPage:
        await self.row(dataset_id)
        statement = self.items.select().where(ItemRow.dataset_id == dataset_id)
        result = await page(self.session, statement, ItemRow, cursor, limit)
        return DataItemPage([item_schema(row) for row in result.items], result.next_cursor)
