"""Tasks, annotation versions and reviews: the queries of the labeling workflow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from enclave.db.models import AnnotationVersion, DataItem, ProjectDataset, Review, Task
from enclave.db.raw import fetch_row
from enclave.db.repositories.base import TenantRepository
from enclave.domain.roles import TaskStage


class TaskRepository(TenantRepository[Task]):
    model = Task

    def open_tasks(self) -> Select[Any]:
        return self.select().where(Task.removed_at.is_(None))

    async def get_open(self, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        statement = self.open_tasks().where(Task.id == task_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def create_for_items(
        self, project_id: uuid.UUID, dataset_id: uuid.UUID | None, priority: int
    ) -> int:
        """One task per item of the project's datasets that has none yet, in one statement."""
        items = (
            select(
                func.gen_random_uuid(),
                literal(self.organization_id),
                literal(project_id),
                DataItem.id,
                literal(TaskStage.ANNOTATE.value).cast(Task.__table__.c.stage.type),
                literal(priority),
            )
            .join(ProjectDataset, ProjectDataset.dataset_id == DataItem.dataset_id)
            .where(ProjectDataset.project_id == project_id, DataItem.organization_id == self.organization_id)
        )
        if dataset_id is not None:
            items = items.where(DataItem.dataset_id == dataset_id)
        statement = (
            insert(Task)
            .from_select(["id", "organization_id", "project_id", "data_item_id", "stage", "priority"], items)
            .on_conflict_do_nothing(index_elements=["project_id", "data_item_id"])
        )
        result = await self.session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def take_next(self, project_id: uuid.UUID, user_id: uuid.UUID, stage: TaskStage) -> Task | None:
        """The next task of ``stage`` for ``user_id``, locked so no concurrent caller gets it too.

        Work already assigned to the caller comes first, then unassigned work by priority and age.
        ``SKIP LOCKED`` makes concurrent callers pass over a row another transaction is taking.
        """
        holder = Task.assignee_id if stage is TaskStage.ANNOTATE else Task.reviewer_id
        queue = self.open_tasks().where(Task.project_id == project_id, Task.stage == stage)
        if stage is TaskStage.REVIEW:  # nobody reviews their own work
            queue = queue.where(Task.assignee_id.is_distinct_from(user_id))
        # Two index walks that stop at their first row, rather than one query ordered by "is it
        # mine", which would sort the project's whole queue on every call.
        for whose in (holder == user_id, holder.is_(None)):
            statement = (
                queue.where(whose)
                .order_by(Task.priority.desc(), Task.created_at, Task.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            task = (await self.session.execute(statement)).scalar_one_or_none()
            if task is not None:
                return task
        return None


class AnnotationRepository(TenantRepository[AnnotationVersion]):
    model = AnnotationVersion

    async def history(self, task_id: uuid.UUID) -> list[AnnotationVersion]:
        statement = (
            self.select().where(AnnotationVersion.task_id == task_id).order_by(AnnotationVersion.version)
        )
        return list(await self.list(statement))

    async def latest(self, task_id: uuid.UUID) -> AnnotationVersion | None:
        statement = (
            self.select()
            .where(AnnotationVersion.task_id == task_id)
            .order_by(AnnotationVersion.version.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def latest_version(self, task_id: uuid.UUID) -> int:
        """The task's newest version number (0: none yet); the task row is locked by the caller."""
        row = await fetch_row(self.session, _LATEST_VERSION, task_id, self.organization_id)
        return int(row[0]) if row is not None else 0

    async def by_idempotency_key(self, task_id: uuid.UUID, key: str) -> AnnotationVersion | None:
        statement = self.select().where(
            AnnotationVersion.task_id == task_id, AnnotationVersion.idempotency_key == key
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


class ReviewRepository(TenantRepository[Review]):
    model = Review

    async def of_task(self, task_id: uuid.UUID) -> list[Review]:
        statement = self.select().where(Review.task_id == task_id).order_by(Review.created_at, Review.id)
        return list(await self.list(statement))


#: Every submission runs it (``db.raw``).
_LATEST_VERSION = """
SELECT coalesce(max(version), 0) FROM annotation_versions WHERE task_id = $1 AND organization_id = $2
"""
