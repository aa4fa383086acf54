"""An import's reads and writes (the jobs domain's Label Studio import): finding uploaded items by
their names' blind indexes, the members a source's authors may be, and writing a whole project's
tasks, annotation versions and reviews in the import's one transaction.

Owns those statements and their tenant scoping. Must never decide what is imported (the import's
rules are ``enclave.jobs.import_run``'s), nor write outside the transaction it is given: an import
that fails writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update

from enclave.db.models import (
    AnnotationVersion,
    DataItem,
    Dataset,
    OrgMembership,
    ProjectDataset,
    Review,
    Task,
    User,
)
from enclave.db.repositories.base import TenantRepository

#: Values one IN list carries: PostgreSQL's protocol allows 32,767 parameters per statement.
PART = 10_000


def _parts(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + PART] for start in range(0, len(values), PART)]


class ImportRepository(TenantRepository[Task]):
    model = Task

    async def attached_datasets(self, project_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """The project's datasets and their kinds, oldest attachment first."""
        statement = (
            select(Dataset.id, Dataset.kind)
            .join(ProjectDataset, ProjectDataset.dataset_id == Dataset.id)
            .where(
                ProjectDataset.project_id == project_id,
                ProjectDataset.organization_id == self.organization_id,
                Dataset.organization_id == self.organization_id,
            )
            .order_by(ProjectDataset.created_at)
        )
        return [(row.id, row.kind) for row in (await self.session.execute(statement)).all()]

    async def items_named(
        self, dataset_ids: Sequence[uuid.UUID], indexes: Sequence[bytes]
    ) -> dict[bytes, list[tuple[uuid.UUID, int | None, int | None]]]:
        """Items of these datasets by name index: (id, width, height) of each, per index."""
        found: dict[bytes, list[tuple[uuid.UUID, int | None, int | None]]] = {}
        for part in _parts(indexes):
            statement = select(DataItem.id, DataItem.name_index, DataItem.width, DataItem.height).where(
                DataItem.organization_id == self.organization_id,
                DataItem.dataset_id.in_(dataset_ids),
                DataItem.name_index.in_(part),
            )
            for row in (await self.session.execute(statement)).all():
                found.setdefault(row.name_index, []).append((row.id, row.width, row.height))
        return found

    async def items_with_tasks(self, project_id: uuid.UUID, item_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        taken: set[uuid.UUID] = set()
        for part in _parts(item_ids):
            statement = select(Task.data_item_id).where(
                Task.organization_id == self.organization_id,
                Task.project_id == project_id,
                Task.data_item_id.in_(part),
            )
            taken.update((await self.session.execute(statement)).scalars().all())
        return taken

    async def members_by_email(self, emails: Sequence[str]) -> dict[str, uuid.UUID]:
        """Active members of the organization among these addresses (compared case-insensitively)."""
        if not emails:
            return {}
        statement = (
            select(func.lower(User.email), User.id)
            .join(OrgMembership, OrgMembership.user_id == User.id)
            .where(
                User.organization_id == self.organization_id,
                User.disabled.is_(False),
                func.lower(User.email).in_([e.lower() for e in emails]),
            )
        )
        return {row[0]: row[1] for row in (await self.session.execute(statement)).all()}

    async def set_image_size(self, item_id: uuid.UUID, width: int, height: int) -> None:
        await self.session.execute(
            update(DataItem)
            .where(DataItem.organization_id == self.organization_id, DataItem.id == item_id)
            .values(width=width, height=height)
        )

    async def add_tasks(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(Task, rows)

    async def add_versions(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(AnnotationVersion, rows)

    async def add_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(Review, rows)

    async def _insert(self, model: Any, rows: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT per batch; each row names this organization (RLS checks it too)."""
        for start in range(0, len(rows), 1000):
            batch = [{**row, "organization_id": self.organization_id} for row in rows[start : start + 1000]]
            if batch:
                await self.session.execute(insert(model), batch)
