"""The datasets domain's queries: each is confined to the caller's organization, and each filters
what makes it the query it is (a dataset's items, a name's blind index, an item with its dataset's
storage); none of them locks a row."""

from __future__ import annotations

import datetime as dt
import uuid

from enclave.db.repositories.datasets import DataItemRepository, DatasetRepository
from enclave.db.repositories.pages import encode_cursor
from tests.unit.db.repositories.recording import RecordingSession

ORG = uuid.UUID(int=1)
DATASET = uuid.UUID(int=3)
ITEM = uuid.UUID(int=4)


def where(sql: str) -> str:
    """The statement's WHERE clause and what follows it."""
    return sql.split(" WHERE ", 1)[1]


class TestDatasetRepository:
    async def test_a_name_is_taken_only_within_the_organization(self) -> None:
        recorded = RecordingSession()
        assert await DatasetRepository(recorded.session, ORG).name_taken("scans") is False
        assert where(recorded.last) == f"datasets.organization_id = '{ORG}' AND datasets.name = 'scans'"

    async def test_a_page_holds_the_organizations_datasets_in_creation_order(self) -> None:
        recorded = RecordingSession()
        page = await DatasetRepository(recorded.session, ORG).page_datasets(None, 50)
        assert (list(page.items), page.next_cursor) == ([], None)
        assert where(recorded.last) == (
            f"datasets.organization_id = '{ORG}' ORDER BY datasets.created_at, datasets.id LIMIT 51"
        )

    async def test_a_later_page_starts_after_its_cursor_and_stays_in_the_organization(self) -> None:
        recorded = RecordingSession()
        cursor = encode_cursor(dt.datetime(2026, 1, 2, tzinfo=dt.UTC), uuid.UUID(int=9))
        await DatasetRepository(recorded.session, ORG).page_datasets(cursor, 10)
        assert where(recorded.last).startswith(
            f"datasets.organization_id = '{ORG}' AND (datasets.created_at, datasets.id) > "
            f"('2026-01-02 00:00:00+00:00', '{uuid.UUID(int=9)}')"
        )

    async def test_a_dataset_is_read_by_id_within_the_organization_without_a_lock(self) -> None:
        recorded = RecordingSession()
        assert await DatasetRepository(recorded.session, ORG).get(DATASET) is None
        assert where(recorded.last) == f"datasets.organization_id = '{ORG}' AND datasets.id = '{DATASET}'"


class TestDataItemRepository:
    async def test_taken_names_are_looked_up_by_blind_index_within_the_dataset(self) -> None:
        recorded = RecordingSession()
        assert (
            await DataItemRepository(recorded.session, ORG).any_named(DATASET, [b"idx-a", b"idx-b"]) is False
        )
        assert where(recorded.last) == (
            f"data_items.organization_id = '{ORG}' AND data_items.dataset_id = '{DATASET}' "
            "AND data_items.name_index IN ('idx-a', 'idx-b') LIMIT 1"
        )

    async def test_a_page_holds_one_datasets_items_in_creation_order(self) -> None:
        recorded = RecordingSession()
        await DataItemRepository(recorded.session, ORG).page_items(DATASET, None, 20)
        assert where(recorded.last) == (
            f"data_items.organization_id = '{ORG}' AND data_items.dataset_id = '{DATASET}' "
            "ORDER BY data_items.created_at, data_items.id LIMIT 21"
        )

    async def test_an_item_is_read_with_its_datasets_storage_in_one_query(self) -> None:
        recorded = RecordingSession()
        assert await DataItemRepository(recorded.session, ORG).with_storage(ITEM) is None
        assert len(recorded.statements) == 1
        sql = recorded.last
        assert sql.startswith("SELECT data_items.dataset_id, ")
        assert (
            ", datasets.storage FROM data_items JOIN datasets ON datasets.id = data_items.dataset_id " in sql
        )
        assert where(sql) == f"data_items.organization_id = '{ORG}' AND data_items.id = '{ITEM}'"
