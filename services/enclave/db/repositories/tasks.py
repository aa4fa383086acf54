"""Tasks, annotation versions and reviews: the queries of the labeling workflow."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
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

    async def take_next(
        self, project_id: uuid.UUID, user_id: uuid.UUID, stage: TaskStage
    ) -> asyncpg.Record | None:
        """Takes the next task of ``stage`` for ``user_id`` — it becomes its assignee (or reviewer) —
        and returns the task's columns as stored (``TASK_COLUMNS``); None when the queue is empty.

        Work already assigned to the caller comes first, then unassigned work by priority and age.
        ``SKIP LOCKED`` makes concurrent callers pass over a row another transaction is taking; the
        row is locked and updated in one statement. Two index walks that stop at their first row,
        rather than one query ordered by "is it mine", which would sort the project's whole queue.
        """
        for statement in _TAKE[stage]:
            row = await fetch_row(self.session, statement, user_id, self.organization_id, project_id)
            if row is not None:
                return row
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


#: The columns of a task as ``take_next`` returns them.
TASK_COLUMNS = (
    "id, project_id, data_item_id, stage, assignee_id, reviewer_id, priority, version, created_at, updated_at"
)


def _take(stage: TaskStage, mine: bool) -> str:
    """Takes one task off a queue (``db.raw``), built once per queue from constants. The ETag's
    version moves only when the holder changes, as an ORM update of the same value would not."""
    holder = "assignee_id" if stage is TaskStage.ANNOTATE else "reviewer_id"
    whose = f"{holder} = $1" if mine else f"{holder} IS NULL"
    # Nobody reviews their own work.
    own_work = " AND assignee_id IS DISTINCT FROM $1" if stage is TaskStage.REVIEW else ""
    return f"""
UPDATE tasks SET {holder} = $1,
  version = version + CASE WHEN {holder} IS DISTINCT FROM $1 THEN 1 ELSE 0 END,
  updated_at = CASE WHEN {holder} IS DISTINCT FROM $1 THEN now() ELSE updated_at END
WHERE id = (
  SELECT id FROM tasks
  WHERE organization_id = $2 AND project_id = $3 AND stage = '{stage.value}' AND removed_at IS NULL
    AND {whose}{own_work}
  ORDER BY priority DESC, created_at, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
) AND organization_id = $2
RETURNING {TASK_COLUMNS}
"""  # noqa: S608 — made at import from the enum's constants only


_TAKE = {
    stage: (_take(stage, mine=True), _take(stage, mine=False))
    for stage in (TaskStage.ANNOTATE, TaskStage.REVIEW)
}
