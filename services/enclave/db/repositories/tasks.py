"""Tasks, annotation versions and reviews: every query of the labeling workflow (the tasks domain).

Owns the workflow's statements and their tenant scoping: ORM statements go through the base's
``select()``/``scoped()``; the statements every take and submission runs are raw asyncpg prepared
statements (``db.raw``), fixed SQL built once at import, each naming ``organization_id``. Owns their
row locks too: a take's ``FOR UPDATE SKIP LOCKED``, a submission's ``FOR UPDATE OF t``, ``get_open``'s
``for_update``. Returns ORM rows, pages of them, frozen dataclasses or scalars; must never build SQL
from input, nor decide a workflow rule (who may take, submit or review is the service's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert

from enclave.authz.policy import Visibility
from enclave.db.models import AnnotationVersion, DataItem, ProjectDataset, Review, Task
from enclave.db.raw import fetch_row
from enclave.db.repositories.base import TenantRepository, visibility_filter
from enclave.db.repositories.pages import Page, page
from enclave.domain.roles import TaskStage


class TaskRepository(TenantRepository[Task]):
    model = Task

    def open_tasks(self) -> Select[Any]:
        return self.select().where(Task.removed_at.is_(None))

    def visible_in(
        self,
        project_id: uuid.UUID,
        visibility: Visibility,
        user_id: uuid.UUID,
        stage: TaskStage | None = None,
    ) -> Select[Any]:
        """The project's open tasks that ``visibility`` shows ``user_id``, optionally of one stage."""
        grounds = {"assigned": Task.assignee_id == user_id, "reviewing": Task.reviewer_id == user_id}
        shown = visibility_filter(visibility, grounds, Task.project_id)
        statement = self.open_tasks().where(Task.project_id == project_id, shown)
        if stage is not None:
            statement = statement.where(Task.stage == stage)
        return statement

    def work_of(self, user_id: uuid.UUID) -> Select[Any]:
        """The open, unfinished tasks ``user_id`` annotates or reviews, in every project."""
        return self.open_tasks().where(
            Task.stage != TaskStage.DONE,
            or_(Task.assignee_id == user_id, Task.reviewer_id == user_id),
        )

    async def page_visible_in(
        self,
        project_id: uuid.UUID,
        visibility: Visibility,
        user_id: uuid.UUID,
        stage: TaskStage | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Task]:
        return await page(
            self.session, self.visible_in(project_id, visibility, user_id, stage), Task, cursor, limit
        )

    async def page_work_of(self, user_id: uuid.UUID, cursor: str | None, limit: int) -> Page[Task]:
        return await page(self.session, self.work_of(user_id), Task, cursor, limit)

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
    ) -> dict[str, Any] | None:
        """Takes the next task of ``stage`` for ``user_id`` — it becomes its assignee (or reviewer) —
        and returns the task's columns as stored (``TASK_COLUMNS``); None when the queue is empty.

        Work already held by the caller comes first (a lease of theirs is renewed), then free work:
        nobody's, or held on a lease that ran out (``claimed_until``), which the caller then holds
        for the project's ``claim_lease_seconds``. Within each, by priority, then consensus tasks
        that have collected more submissions, then age. A consensus task is never handed to someone
        who already submitted to it. ``SKIP LOCKED`` makes concurrent callers pass over a row
        another transaction is taking; the row is locked and updated in one statement. Two index
        walks that each stop at their first row, in one round trip (``enclave_take_<stage>``).
        """
        row = await fetch_row(self.session, _TAKE[stage], user_id, self.organization_id, project_id)
        return None if row is None else dict(row)


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

    async def round_versions(self, task_id: uuid.UUID, count: int) -> list[AnnotationVersion]:
        """The task's newest ``count`` versions, oldest first: a consensus round's submissions."""
        statement = (
            self.select()
            .where(AnnotationVersion.task_id == task_id)
            .order_by(AnnotationVersion.version.desc())
            .limit(count)
        )
        return list(reversed(await self.list(statement)))

    async def submission_facts(self, task_id: uuid.UUID, author_id: uuid.UUID) -> SubmissionFacts | None:
        """Locks the open task (FOR UPDATE) and reads what a submission to it by ``author_id``
        needs, in one query; None when the task is not visible or removed."""
        row = await fetch_row(self.session, _SUBMISSION_FACTS, task_id, self.organization_id, author_id)
        if row is None:
            return None
        return SubmissionFacts(
            stage=TaskStage(row[0]),
            review_required=bool(row[1]),
            ontology_version=int(row[2]),
            definition=row[3],
            latest_version=int(row[4]),
            project_id=row[5],
            review_sample_percent=int(row[6]),
            consensus_annotators=int(row[7]),
            consensus_threshold=float(row[8]),
            consensus_target=None if row[9] is None else int(row[9]),
            consensus_submissions=int(row[10]),
            author_submitted=bool(row[11]),
        )

    async def next_sample_position(self, project_id: uuid.UUID) -> SamplePosition:
        """Counts one more first-time submission in the project's review sample and returns its
        position (0-based) with the settings it is sampled by, read from the row just locked: a
        concurrent submission waits for this one's commit and counts after it."""
        row = await fetch_row(self.session, _SAMPLE_POSITION, project_id, self.organization_id)
        if row is None:  # pragma: no cover — the submission's task holds its project
            raise RuntimeError("the project of a submission was not found")
        return SamplePosition(int(row[0]), row[1], int(row[2]), bool(row[3]))

    async def append(
        self,
        task_id: uuid.UUID,
        version_id: uuid.UUID,
        version: int,
        author_id: uuid.UUID,
        ontology_version: int,
        sealed_payload: bytes,
        idempotency_key: str | None,
        move: TaskMove,
        *,
        skipped: bool = False,
    ) -> dt.datetime:
        """Adds the version, moves the (locked) task as ``move`` says, bumping its ETag, and ends the
        author's draft of it (the work is sent), in one statement; returns the version's creation
        time."""
        row = await fetch_row(
            self.session, _APPEND, version_id, self.organization_id, task_id, version, author_id,
            ontology_version, sealed_payload, idempotency_key, move.stage.value, move.release_claim,
            move.consensus_target, move.consensus_submissions, move.agreement, move.result_version_id,
            skipped,
        )  # fmt: skip
        if row is None:  # pragma: no cover — the INSERT always returns its row
            raise RuntimeError("the annotation version was not stored")
        created_at: dt.datetime = row[0]
        return created_at

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


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    stage: TaskStage
    review_required: bool
    ontology_version: int
    #: The ontology's current definition, as stored (JSON).
    definition: Any
    latest_version: int
    project_id: uuid.UUID
    review_sample_percent: int
    consensus_annotators: int
    consensus_threshold: float
    #: The task's consensus round: its size (None: not in one) and its submissions so far.
    consensus_target: int | None
    consensus_submissions: int
    #: The author already submitted a version of this task.
    author_submitted: bool


@dataclass(frozen=True, slots=True)
class SamplePosition:
    #: This submission's place among the project's counted first-time submissions (0-based).
    position: int
    seed: str
    percent: int
    review_required: bool


@dataclass(frozen=True, slots=True)
class TaskMove:
    """Where a submission moves its task."""

    stage: TaskStage
    #: The holder's lease ends now (a consensus annotator who is done with the task); otherwise
    #: the lease is cleared, the task's next holder not yet known.
    release_claim: bool = False
    consensus_target: int | None = None
    consensus_submissions: int = 0
    agreement: float | None = None
    result_version_id: uuid.UUID | None = None


#: Every submission runs these two (``db.raw``). The first locks the task and reads its stage, its
#: project's workflow settings, the ontology's current version and definition, the task's newest
#: annotation version (0: none yet), its consensus round and whether the author submitted to it
#: before; the second appends the next version and moves the task on.
_SUBMISSION_FACTS = """
SELECT t.stage, p.review_required, o.current_version, v.definition,
       (SELECT coalesce(max(a.version), 0) FROM annotation_versions a
        WHERE a.task_id = t.id AND a.organization_id = t.organization_id),
       t.project_id, p.review_sample_percent, p.consensus_annotators, p.consensus_threshold,
       t.consensus_target, t.consensus_submissions,
       EXISTS (SELECT 1 FROM annotation_versions a
               WHERE a.task_id = t.id AND a.organization_id = t.organization_id AND a.author_id = $3)
FROM tasks t
JOIN projects p ON p.id = t.project_id
JOIN ontologies o ON o.id = p.ontology_id
JOIN ontology_versions v ON v.ontology_id = o.id AND v.version = o.current_version
WHERE t.id = $1 AND t.organization_id = $2 AND t.removed_at IS NULL
FOR UPDATE OF t
"""
#: A submission the project samples for review: its position in the sample, counted under the
#: project row's lock.
_SAMPLE_POSITION = """
UPDATE projects SET sampled_submissions = sampled_submissions + 1
WHERE id = $1 AND organization_id = $2
RETURNING sampled_submissions - 1, sampling_seed, review_sample_percent, review_required
"""
_APPEND = """
WITH moved AS (
  UPDATE tasks SET stage = $9::task_stage, version = version + 1, updated_at = now(),
    claimed_until = CASE WHEN $10::boolean THEN now() ELSE NULL END,
    consensus_target = $11, consensus_submissions = $12, agreement = $13, result_version_id = $14
  WHERE id = $3 AND organization_id = $2
), sent AS (
  DELETE FROM annotation_drafts WHERE organization_id = $2 AND task_id = $3 AND author_id = $5
)
INSERT INTO annotation_versions
  (id, organization_id, task_id, version, author_id, ontology_version, payload, idempotency_key, skipped)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $15)
RETURNING created_at
"""


#: The columns of a task as ``take_next`` returns them.
TASK_COLUMNS = (
    "id, project_id, data_item_id, stage, assignee_id, reviewer_id, priority, version, created_at, "
    "updated_at, claimed_until, consensus_target, consensus_submissions, agreement, result_version_id"
)
#: ``tasks/next`` is one call per queue: the caller's own next task, else the first free one, each an
#: index walk that stops at its first row, in functions whose plans cannot sort or read the project's
#: whole queue (migrations 0017 and 0019).
_TAKE = {
    stage: f"SELECT {TASK_COLUMNS} FROM enclave_take_{stage.value}($1, $2, $3)"  # noqa: S608  # nosec B608
    for stage in (TaskStage.ANNOTATE, TaskStage.REVIEW)
}
