"""The labeling workflow: create and assign tasks, hand out the next one, take submissions and
reviews. Each state change locks its task row, so concurrent requests serialise on it.

Owns the workflow's rules (who may be assigned, which queue a role takes from, what a submission must
hold, who may review) and returns the tasks domain's schemas. Must never build or run a query (every
statement is ``db.repositories.tasks``'s) nor hand an ORM row to its caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.policy import Visibility
from enclave.authz.principal import Principal
from enclave.crypto.content import ContentCipher
from enclave.db.models import AnnotationVersion as AnnotationRow
from enclave.db.models import Review as ReviewRow
from enclave.db.models import Task as TaskRow
from enclave.db.models.base import new_id
from enclave.db.repositories.access import AccessRepository, Lock
from enclave.db.repositories.pages import Page
from enclave.db.repositories.projects import ProjectDatasetRepository
from enclave.db.repositories.tasks import AnnotationRepository, ReviewRepository, TaskRepository
from enclave.domain.errors import Conflict, Forbidden, InvalidInput, InvalidState, NotFound
from enclave.domain.roles import ProjectRole, ReviewDecision, TaskStage
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import (
    AnnotationHistory,
    AnnotationPayload,
    AnnotationVersion,
    Review,
    ReviewCreate,
    ReviewList,
    Task,
    TaskCreate,
    TaskPage,
    TasksCreated,
    TaskUpdate,
)
from enclave.web.http import check_if_match


def to_schema(row: TaskRow) -> Task:
    return Task(
        id=row.id,
        project_id=row.project_id,
        data_item_id=row.data_item_id,
        stage=row.stage,
        assignee_id=row.assignee_id,
        reviewer_id=row.reviewer_id,
        priority=row.priority,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def page_schema(result: Page[TaskRow]) -> TaskPage:
    return TaskPage([to_schema(row) for row in result.items], result.next_cursor)


def check_payload(payload: AnnotationPayload, ontology: OntologyDefinition) -> None:
    """Every label must be one the ontology defines, drawn with the kind of shape it defines."""
    kinds = {obj.name: obj.kind for obj in ontology.objects}
    for obj in payload.objects:
        kind = type(obj).__struct_config__.tag
        if kinds.get(obj.label) != kind:
            raise InvalidInput(f"'{obj.label}' is not a {kind} label of this project's ontology.")
        if kind == "span" and obj.end <= obj.start:  # type: ignore[union-attr]
            raise InvalidInput("A span must end after it starts.")
    questions = {c.name: c for c in ontology.classifications}
    for name, answers in payload.classifications.items():
        question = questions.get(name)
        if question is None:
            raise InvalidInput(f"'{name}' is not a classification of this project's ontology.")
        if not set(answers) <= set(question.options):
            raise InvalidInput(f"An answer to '{name}' is not one of its options.")
        if not question.multiple and len(answers) > 1:
            raise InvalidInput(f"'{name}' takes one answer.")


class TaskService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID, cipher: ContentCipher) -> None:
        self.session = session
        self.organization_id = organization_id
        self.cipher = cipher
        self.tasks = TaskRepository(session, organization_id)
        self.annotations = AnnotationRepository(session, organization_id)
        self.reviews = ReviewRepository(session, organization_id)
        self.project_datasets = ProjectDatasetRepository(session, organization_id)
        self.access = AccessRepository(session, organization_id)

    async def _row(self, task_id: uuid.UUID, *, for_update: bool = False) -> TaskRow:
        row = await self.tasks.get_open(task_id, for_update=for_update)
        if row is None:
            raise NotFound("No such task.")
        return row

    async def get(self, task_id: uuid.UUID) -> Task:
        return to_schema(await self._row(task_id))

    async def create(self, project_id: uuid.UUID, data: TaskCreate) -> TasksCreated:
        if data.dataset_id is not None:
            attached = await self.project_datasets.find(project_id, data.dataset_id)
            if attached is None:
                raise InvalidInput("The dataset is not attached to this project.")
        return TasksCreated(await self.tasks.create_for_items(project_id, data.dataset_id, data.priority))

    async def list(
        self,
        project_id: uuid.UUID,
        principal: Principal,
        visibility: Visibility,
        stage: TaskStage | None,
        cursor: str | None,
        limit: int,
    ) -> TaskPage:
        """The project's tasks the caller may see (the policy's ``visible``), optionally of one stage."""
        return page_schema(
            await self.tasks.page_visible_in(project_id, visibility, principal.user_id, stage, cursor, limit)
        )

    async def mine(self, principal: Principal, cursor: str | None, limit: int) -> TaskPage:
        """The caller's unfinished work: the open tasks they annotate or review."""
        return page_schema(await self.tasks.page_work_of(principal.user_id, cursor, limit))

    async def assign(self, task_id: uuid.UUID, change: TaskUpdate, if_match: str | None) -> Task:
        """Changes who annotates and reviews the task (and its priority), if it is still the version
        ``if_match`` names; the task is locked until the change commits."""
        row = await self._row(task_id, for_update=True)
        check_if_match(if_match, row.version)
        assignee = row.assignee_id if change.assignee_id is msgspec.UNSET else change.assignee_id
        reviewer = row.reviewer_id if change.reviewer_id is msgspec.UNSET else change.reviewer_id
        if assignee is not None and assignee == reviewer:
            raise InvalidInput("Nobody reviews their own work: choose another reviewer.")
        if change.assignee_id is not msgspec.UNSET:
            if change.assignee_id is not None:
                await self._require_role(row.project_id, change.assignee_id, annotates=True)
            row.assignee_id = change.assignee_id
        if change.reviewer_id is not msgspec.UNSET:
            if change.reviewer_id is not None:
                await self._require_role(row.project_id, change.reviewer_id, annotates=False)
            row.reviewer_id = change.reviewer_id
        if change.priority is not msgspec.UNSET:
            row.priority = change.priority
        await self.session.flush()
        return to_schema(row)

    async def _require_role(self, project_id: uuid.UUID, user_id: uuid.UUID, *, annotates: bool) -> None:
        """The user may take this work: an active member of the organization and of the project in a
        role that does it. Both memberships are held until the assignment commits, so neither a
        removal nor a role change can slip in between."""
        active = await self.access.member_role(user_id, lock=Lock.SHARE)
        role = await self.access.project_role(project_id, user_id, lock=Lock.SHARE) if active else None
        if role is None or not (role.annotates if annotates else role.reviews):
            work = "annotate" if annotates else "review"
            raise InvalidInput(f"That user is not a project member who may {work}.")

    async def remove(self, task_id: uuid.UUID) -> None:
        row = await self._row(task_id, for_update=True)
        row.removed_at = dt.datetime.now(dt.UTC)
        await self.session.flush()

    async def take_next(
        self, project_id: uuid.UUID, principal: Principal, role: ProjectRole | None, stage: TaskStage | None
    ) -> Task | None:
        if role is None:
            raise Forbidden("Only project members take work.")
        if stage is None:
            stage = TaskStage.ANNOTATE if role.annotates else TaskStage.REVIEW
        if stage is TaskStage.DONE or (stage is TaskStage.ANNOTATE and not role.annotates):
            raise Forbidden("Your project role does not take work from this queue.")
        if stage is TaskStage.REVIEW and not role.reviews:
            raise Forbidden("Your project role does not take work from this queue.")
        taken = await self.tasks.take_next(project_id, principal.user_id, stage)
        if taken is None:
            return None
        return msgspec.convert(taken, Task)  # TASK_COLUMNS are Task's fields

    # --- sealed content ------------------------------------------------------------------------

    async def _payload(self, row: AnnotationRow) -> Any:
        return await self.cipher.open_annotation_payload(row.id, row.payload)

    async def annotation_schema(self, row: AnnotationRow) -> AnnotationVersion:
        return AnnotationVersion(
            id=row.id,
            task_id=row.task_id,
            version=row.version,
            author_id=row.author_id,
            ontology_version=row.ontology_version,
            payload=msgspec.convert(await self._payload(row), AnnotationPayload),
            created_at=row.created_at,
        )

    async def review_schema(self, row: ReviewRow) -> Review:
        return Review(
            row.id,
            row.task_id,
            row.annotation_version_id,
            row.reviewer_id,
            row.decision,
            await self.cipher.open_review_comment(row.id, row.comment),
            row.created_at,
        )

    # --- annotations ---------------------------------------------------------------------------

    async def history(self, task_id: uuid.UUID) -> AnnotationHistory:
        rows = await self.annotations.history(task_id)
        return AnnotationHistory([await self.annotation_schema(row) for row in rows])

    async def submit(
        self, task_id: uuid.UUID, author: Principal, payload: AnnotationPayload, idempotency_key: str | None
    ) -> tuple[AnnotationVersion, bool]:
        """Appends a version; returns it and whether it is new. A retried key returns the first one."""
        facts = await self.annotations.submission_facts(task_id)  # the task is locked from here on
        if facts is None:
            raise NotFound("No such task.")
        if idempotency_key is not None:
            earlier = await self.annotations.by_idempotency_key(task_id, idempotency_key)
            if earlier is not None:
                same = await self._payload(earlier) == msgspec.to_builtins(payload)
                if not same or earlier.author_id != author.user_id:
                    raise Conflict("This Idempotency-Key was used for a different submission.")
                return await self.annotation_schema(earlier), False
        if facts.stage is not TaskStage.ANNOTATE:
            raise InvalidState("This task is not open for annotation.")
        check_payload(payload, msgspec.convert(facts.definition, OntologyDefinition))
        version_id = new_id()
        version = facts.latest_version + 1
        created_at = await self.annotations.append(
            task_id,
            version_id,
            version,
            author.user_id,
            facts.ontology_version,
            await self.cipher.seal_annotation_payload(version_id, payload),
            idempotency_key,
            TaskStage.REVIEW if facts.review_required else TaskStage.DONE,
        )
        created = AnnotationVersion(
            id=version_id,
            task_id=task_id,
            version=version,
            author_id=author.user_id,
            ontology_version=facts.ontology_version,
            payload=payload,  # as just sealed: not opened again
            created_at=created_at,
        )
        return created, True

    # --- reviews -------------------------------------------------------------------------------

    async def list_reviews(self, task_id: uuid.UUID) -> ReviewList:
        return ReviewList([await self.review_schema(row) for row in await self.reviews.of_task(task_id)])

    async def review(self, task_id: uuid.UUID, reviewer: Principal, data: ReviewCreate) -> Review:
        row = await self._row(task_id, for_update=True)
        if row.stage is not TaskStage.REVIEW:
            raise InvalidState("This task is not waiting for review.")
        latest = await self.annotations.latest(task_id)
        if latest is None:  # pragma: no cover — a task reaches review only through a submission
            raise InvalidState("This task has no annotation to review.")
        if latest.author_id == reviewer.user_id:
            raise Forbidden("Nobody reviews their own work.")
        review_id = new_id()
        review = self.reviews.add(
            ReviewRow(
                id=review_id,
                task_id=task_id,
                annotation_version_id=latest.id,
                reviewer_id=reviewer.user_id,
                decision=data.decision,
                comment=await self.cipher.seal_review_comment(review_id, data.comment),
            )
        )
        # Approved work is done; rejected work goes back to its annotator.
        row.stage = TaskStage.DONE if data.decision is ReviewDecision.APPROVE else TaskStage.ANNOTATE
        await self.session.flush()
        return await self.review_schema(review)
