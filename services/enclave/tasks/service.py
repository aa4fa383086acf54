"""The labeling workflow: create and assign tasks, hand out the next one, take submissions and
reviews. Each state change locks its task row, so concurrent requests serialise on it.

Owns the workflow's rules (who may be assigned, which queue a role takes from, what a submission must
hold, who may review, where a submission or a review sends its task — ``tasks.stages`` — with the
project's review sample and consensus) and returns the tasks domain's schemas. Must never build or
run a query (every statement is ``db.repositories.tasks``'s) nor hand an ORM row to its caller.
"""

from __future__ import annotations

import asyncio
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
from enclave.db.repositories.tasks import (
    AnnotationRepository,
    ReviewRepository,
    SubmissionFacts,
    TaskMove,
    TaskRepository,
)
from enclave.domain.errors import Conflict, Forbidden, InvalidInput, InvalidState, NotFound
from enclave.domain.roles import OrgRole, ProjectRole, ReviewDecision, TaskStage
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.agreement import TooComplex, agreement_of
from enclave.tasks.payloads import check_payload
from enclave.tasks.sampling import selected_for_review
from enclave.tasks.schemas import (
    AnnotationHistory,
    AnnotationPayload,
    AnnotationSubmit,
    AnnotationVersion,
    Review,
    ReviewCreate,
    ReviewList,
    Routed,
    Task,
    TaskCreate,
    TaskPage,
    TasksCreated,
    TaskUpdate,
)
from enclave.tasks.stages import (
    RoundState,
    Routing,
    SubmissionPlan,
    WorkflowRules,
    check_move,
    plan_submission,
    stage_after,
    stage_after_review,
    stage_after_sampling,
    stage_after_scoring,
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
        claimed_until=row.claimed_until,
        consensus_target=row.consensus_target,
        consensus_submissions=row.consensus_submissions,
        agreement=row.agreement,
        result_version_id=row.result_version_id,
    )


def page_schema(result: Page[TaskRow]) -> TaskPage:
    return TaskPage([to_schema(row) for row in result.items], result.next_cursor)


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
        ``if_match`` names; the task is locked until the change commits. A manager's assignment of
        the task's current holder has no lease: it replaces a claim taken from the queue."""
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
        holder = change.assignee_id if row.stage is TaskStage.ANNOTATE else change.reviewer_id
        if holder is not msgspec.UNSET:
            row.claimed_until = None
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
            skipped=row.skipped,
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

    async def history(
        self, task_id: uuid.UUID, reader: Principal, reader_role: ProjectRole | None
    ) -> AnnotationHistory:
        """The task's versions. While a consensus round collects, its annotators label blind: one
        who does not run the project sees only their own submissions."""
        rows = await self.annotations.history(task_id)
        task = await self._row(task_id)
        runs_project = reader.org_role is OrgRole.ADMIN or (reader_role is not None and reader_role.manages)
        if task.consensus_target is not None and task.stage is TaskStage.ANNOTATE and not runs_project:
            rows = [row for row in rows if row.author_id == reader.user_id]
        return AnnotationHistory([await self.annotation_schema(row) for row in rows])

    async def submit(
        self, task_id: uuid.UUID, author: Principal, data: AnnotationSubmit, idempotency_key: str | None
    ) -> tuple[AnnotationVersion, Routed | None]:
        """Appends a version (a skip is one, with nothing labelled) and moves the task on; returns it
        and where the task went (None: a retry with an Idempotency-Key already used, which returns
        the first version and moves nothing)."""
        payload = data.payload
        if data.skipped and (payload.objects or payload.classifications):
            raise InvalidInput("A skipped task carries no labels: send an empty payload with 'skipped'.")
        facts = await self.annotations.submission_facts(task_id, author.user_id)  # the task is locked
        if facts is None:
            raise NotFound("No such task.")
        if idempotency_key is not None:
            earlier = await self.annotations.by_idempotency_key(task_id, idempotency_key)
            if earlier is not None:
                same = await self._payload(earlier) == msgspec.to_builtins(payload)
                same = same and earlier.skipped == data.skipped
                if not same or earlier.author_id != author.user_id:
                    raise Conflict("This Idempotency-Key was used for a different submission.")
                return await self.annotation_schema(earlier), None
        if facts.stage is not TaskStage.ANNOTATE:
            raise InvalidState("This task is not open for annotation.")
        if facts.consensus_target is not None and facts.author_submitted:
            raise InvalidState("You have annotated this task already; its consensus needs other annotators.")
        check_payload(payload, msgspec.convert(facts.definition, OntologyDefinition))
        version_id = new_id()
        plan = plan_submission(
            WorkflowRules(
                facts.review_required,
                facts.review_sample_percent,
                facts.consensus_annotators,
                facts.consensus_threshold,
            ),
            RoundState(facts.latest_version == 0, facts.consensus_target, facts.consensus_submissions),
        )
        move, routed = await self._route(task_id, facts, plan, version_id, payload)
        check_move(facts.stage, move.stage)
        version = facts.latest_version + 1
        created_at = await self.annotations.append(
            task_id,
            version_id,
            version,
            author.user_id,
            facts.ontology_version,
            await self.cipher.seal_annotation_payload(version_id, payload),
            idempotency_key,
            move,
            skipped=data.skipped,
        )
        created = AnnotationVersion(
            id=version_id,
            task_id=task_id,
            version=version,
            author_id=author.user_id,
            ontology_version=facts.ontology_version,
            payload=payload,  # as just sealed: not opened again
            created_at=created_at,
            skipped=data.skipped,
        )
        return created, routed

    async def _route(
        self,
        task_id: uuid.UUID,
        facts: SubmissionFacts,
        plan: SubmissionPlan,
        version_id: uuid.UUID,
        payload: AnnotationPayload,
    ) -> tuple[TaskMove, Routed]:
        """Where the submission ``plan`` describes sends the task: by itself, by the project's
        sample (counted now, under the project row's lock) or by the consensus round's agreement."""
        decided = stage_after(plan)
        if decided is not None:
            move = TaskMove(
                decided,
                release_claim=plan.routing is Routing.COLLECT,
                consensus_target=plan.consensus_target,
                consensus_submissions=plan.consensus_submissions,
            )
            return move, Routed(decided)
        if plan.routing is Routing.SAMPLE:
            sample = await self.annotations.next_sample_position(facts.project_id)
            selected = sample.review_required and selected_for_review(
                sample.seed, sample.percent, sample.position
            )
            stage = stage_after_sampling(selected)
            return TaskMove(stage), Routed(stage, sampled=selected)
        # The round's last submission: score it with the ones before it.
        earlier = await self.annotations.round_versions(task_id, plan.consensus_submissions - 1)
        payloads = [msgspec.convert(await self._payload(row), AnnotationPayload) for row in earlier]
        try:
            agreement = await asyncio.to_thread(agreement_of, [*payloads, payload])
        except TooComplex:
            agreement = None
        score = None if agreement is None else agreement.score
        stage = stage_after_scoring(score, facts.consensus_threshold)
        submissions = [*(row.id for row in earlier), version_id]
        best = submissions[agreement.best] if agreement is not None and stage is TaskStage.DONE else None
        move = TaskMove(
            stage,
            consensus_target=plan.consensus_target,
            consensus_submissions=plan.consensus_submissions,
            agreement=score,
            result_version_id=best,
        )
        return move, Routed(stage, agreement=score)

    # --- reviews -------------------------------------------------------------------------------

    async def list_reviews(self, task_id: uuid.UUID) -> ReviewList:
        return ReviewList([await self.review_schema(row) for row in await self.reviews.of_task(task_id)])

    async def review(
        self, task_id: uuid.UUID, reviewer: Principal, data: ReviewCreate
    ) -> tuple[Review, Routed]:
        """Decides a task in review: approves or rejects its newest version, or — for a consensus
        task — approves one of its round's submissions or a merge of them."""
        row = await self._row(task_id, for_update=True)
        if row.stage is not TaskStage.REVIEW:
            raise InvalidState("This task is not waiting for review.")
        if row.consensus_target is not None:
            return await self._resolve_consensus(row, reviewer, data)
        if data.annotation_version_id is not None or data.payload is not None:
            raise InvalidInput("Picking or merging submissions is for tasks labeled in consensus.")
        latest = await self.annotations.latest(task_id)
        if latest is None:  # pragma: no cover — a task reaches review only through a submission
            raise InvalidState("This task has no annotation to review.")
        if latest.author_id == reviewer.user_id:
            raise Forbidden("Nobody reviews their own work.")
        stage = stage_after_review(data.decision)
        check_move(row.stage, stage)
        review = await self._add_review(row, latest.id, reviewer, data)
        if stage is TaskStage.ANNOTATE:
            # Rejected work goes back to its annotator, with the review's comment to read.
            row.assignee_id = latest.author_id
        row.stage = stage
        row.claimed_until = None
        await self.session.flush()
        return review, Routed(stage)

    async def _resolve_consensus(
        self, row: TaskRow, reviewer: Principal, data: ReviewCreate
    ) -> tuple[Review, Routed]:
        if data.decision is not ReviewDecision.APPROVE:
            raise InvalidState(
                "A consensus task is resolved by approving one of its submissions or a merge of them."
            )
        if (data.annotation_version_id is None) == (data.payload is None):
            raise InvalidInput("Pick one submission (annotation_version_id) or send a merged payload.")
        submissions = await self.annotations.round_versions(row.id, row.consensus_submissions)
        if reviewer.user_id in {version.author_id for version in submissions}:
            raise Forbidden("Nobody reviews their own work.")
        if data.payload is not None:
            chosen = await self._add_merged_version(row.id, reviewer, data.payload)
        elif data.annotation_version_id in {version.id for version in submissions}:
            chosen = data.annotation_version_id
        else:
            raise InvalidInput("That version is not one of this task's consensus submissions.")
        check_move(row.stage, TaskStage.DONE)
        review = await self._add_review(row, chosen, reviewer, data)
        row.stage = TaskStage.DONE
        row.result_version_id = chosen
        row.claimed_until = None
        await self.session.flush()
        return review, Routed(TaskStage.DONE, agreement=row.agreement)

    async def _add_merged_version(
        self, task_id: uuid.UUID, reviewer: Principal, payload: AnnotationPayload
    ) -> uuid.UUID:
        """Stores a reviewer's merge of a consensus task's submissions as its next version."""
        facts = await self.annotations.submission_facts(task_id, reviewer.user_id)
        if facts is None:  # pragma: no cover — the task is locked by the review
            raise NotFound("No such task.")
        check_payload(payload, msgspec.convert(facts.definition, OntologyDefinition))
        version_id = new_id()
        self.annotations.add(
            AnnotationRow(
                id=version_id,
                task_id=task_id,
                version=facts.latest_version + 1,
                author_id=reviewer.user_id,
                ontology_version=facts.ontology_version,
                payload=await self.cipher.seal_annotation_payload(version_id, payload),
            )
        )
        await self.session.flush()
        return version_id

    async def _add_review(
        self, row: TaskRow, version_id: uuid.UUID, reviewer: Principal, data: ReviewCreate
    ) -> Review:
        review_id = new_id()
        review = self.reviews.add(
            ReviewRow(
                id=review_id,
                task_id=row.id,
                annotation_version_id=version_id,
                reviewer_id=reviewer.user_id,
                decision=data.decision,
                comment=await self.cipher.seal_review_comment(review_id, data.comment),
            )
        )
        await self.session.flush()
        return await self.review_schema(review)
