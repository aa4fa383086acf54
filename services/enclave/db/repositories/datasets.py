"""Datasets and their items: every query of the datasets domain, scoped to the caller's organization.

Owns finding a dataset by id or name, the pages of datasets and of a dataset's items, the blind-index
check that keeps item names unique in a dataset, and an item read together with its dataset's storage
setting (one query for a content read). Returns ORM rows, or a small frozen pair, to the datasets
service, which seals, opens and shapes them: must never see a plaintext name or attribute, and never
return a row of another organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from enclave.db.models import DataItem, Dataset
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import Page, page


@dataclass(frozen=True, slots=True)
class ItemWithStorage:
    """An item and its dataset's ``storage`` setting (None: the organization's bucket)."""

    item: DataItem
    storage: dict[str, Any] | None


class DatasetRepository(TenantRepository[Dataset]):
    model = Dataset

    async def name_taken(self, name: str) -> bool:
        statement = self.select().where(Dataset.name == name)
        return (await self.session.execute(statement)).first() is not None

    async def page_datasets(self, cursor: str | None, limit: int) -> Page[Dataset]:
        return await page(self.session, self.select(), Dataset, cursor, limit)


class DataItemRepository(TenantRepository[DataItem]):
    model = DataItem

    async def any_named(self, dataset_id: uuid.UUID, indexes: Sequence[bytes]) -> bool:
        """Whether an item of the dataset has a name with one of these blind indexes."""
        statement = self.select().where(DataItem.dataset_id == dataset_id, DataItem.name_index.in_(indexes))
        return (await self.session.execute(statement.limit(1))).first() is not None

    async def page_items(self, dataset_id: uuid.UUID, cursor: str | None, limit: int) -> Page[DataItem]:
        statement = self.select().where(DataItem.dataset_id == dataset_id)
        return await page(self.session, statement, DataItem, cursor, limit)

    async def with_storage(self, item_id: uuid.UUID) -> ItemWithStorage | None:
        """An item and its dataset's storage setting, in one query."""
        statement = (
            self.scoped(select(DataItem, Dataset.storage))
            .join(Dataset, Dataset.id == DataItem.dataset_id)
            .where(DataItem.id == item_id)
        )
        found = (await self.session.execute(statement)).first()
        return None if found is None else ItemWithStorage(found[0], found[1])
