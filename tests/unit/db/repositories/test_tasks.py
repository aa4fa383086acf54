"""The labeling workflow's statements (``enclave.db.repositories.tasks``): every one names the
caller's organization; a list shows the rows its filters say; the take and the submission lock what
they change (``SKIP LOCKED``, ``FOR UPDATE OF t``) and receive the organization as ``$2``."""

from __future__ import annotations

import datetime as dt
import importlib.util
import uuid
from pathlib import Path

import msgspec
import pytest

from enclave.authz.policy import Visibility
from enclave.db.repositories import tasks
from enclave.db.repositories.tasks import (
    TASK_COLUMNS,
    AnnotationRepository,
    ReviewRepository,
    TaskMove,
    TaskRepository,
)
from enclave.domain.roles import TaskStage
from enclave.tasks.schemas import Task
from tests.unit.db.repositories.recording import RecordingSession, sql

ORG = uuid.UUID(int=1)
USER = uuid.UUID(int=2)
PROJECT = uuid.UUID(int=3)
TASK = uuid.UUID(int=4)
DATASET = uuid.UUID(int=5)
OTHER_PROJECT = uuid.UUID(int=6)

TENANT = f"tasks.organization_id = '{ORG}'"
OPEN = "tasks.removed_at IS NULL"
ASSIGNED = f"tasks.assignee_id = '{USER}'"
REVIEWING = f"tasks.reviewer_id = '{USER}'"


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def db() -> RecordingSession:
    return RecordingSession()


def repository(db: RecordingSession) -> TaskRepository:
    return TaskRepository(db.session, ORG)


class TestVisibleIn:
    def visible(self, db: RecordingSession, visibility: Visibility, stage: TaskStage | None = None) -> str:
        return sql(repository(db).visible_in(PROJECT, visibility, USER, stage))

    def test_everything_is_the_projects_open_tasks_of_the_tenant(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(everything=True))
        assert TENANT in shown
        assert OPEN in shown
        assert f"tasks.project_id = '{PROJECT}'" in shown
        assert ASSIGNED not in shown
        assert REVIEWING not in shown

    def test_a_worker_sees_the_tasks_assigned_to_them(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(assigned=True))
        assert TENANT in shown
        assert OPEN in shown
        assert ASSIGNED in shown
        assert REVIEWING not in shown

    def test_annotating_and_reviewing_are_alternatives(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(assigned=True, reviewing=True))
        assert f"({ASSIGNED} OR {REVIEWING})" in shown

    def test_no_ground_shows_nothing(self, db: RecordingSession) -> None:
        assert "false" in self.visible(db, Visibility()).lower()

    def test_a_key_restricted_to_another_project_sees_none_of_this_one(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(everything=True, project_id=OTHER_PROJECT))
        assert f"tasks.project_id = '{OTHER_PROJECT}'" in shown

    def test_one_stage(self, db: RecordingSession) -> None:
        assert "tasks.stage = 'review'" in self.visible(db, Visibility(everything=True), TaskStage.REVIEW)
        assert "tasks.stage" not in self.visible(db, Visibility(everything=True)).split("WHERE")[1]

    async def test_a_page_is_in_creation_order(self, db: RecordingSession) -> None:
        await repository(db).page_visible_in(PROJECT, Visibility(assigned=True), USER, None, None, 10)
        assert TENANT in db.last
        assert ASSIGNED in db.last
        assert db.last.endswith("ORDER BY tasks.created_at, tasks.id LIMIT 11")


class TestWorkOf:
    def test_the_callers_unfinished_work_in_every_project(self, db: RecordingSession) -> None:
        work = sql(repository(db).work_of(USER))
        assert TENANT in work
        assert OPEN in work
        assert "tasks.stage != 'done'" in work
        assert f"({ASSIGNED} OR {REVIEWING})" in work
        assert "tasks.project_id" not in work.split(" WHERE ")[1]

    async def test_a_page_of_it(self, db: RecordingSession) -> None:
        await repository(db).page_work_of(USER, None, 5)
        assert f"({ASSIGNED} OR {REVIEWING})" in db.last
        assert db.last.endswith("LIMIT 6")


class TestGetOpen:
    async def test_reads_an_open_task_of_the_tenant(self, db: RecordingSession) -> None:
        assert await repository(db).get_open(TASK) is None
        assert TENANT in db.last
        assert OPEN in db.last
        assert f"tasks.id = '{TASK}'" in db.last
        assert "FOR UPDATE" not in db.last

    async def test_locks_it_for_a_change(self, db: RecordingSession) -> None:
        await repository(db).get_open(TASK, for_update=True)
        assert db.last.endswith("FOR UPDATE")


class TestCreateForItems:
    async def test_one_task_per_item_of_the_projects_datasets(self, db: RecordingSession) -> None:
        assert await repository(db).create_for_items(PROJECT, None, 7) == 0
        created = db.last
        assert created.startswith("INSERT INTO tasks (id, organization_id, project_id, data_item_id, stage,")
        assert f"data_items.organization_id = '{ORG}'" in created  # the items read
        assert f"SELECT gen_random_uuid() AS gen_random_uuid_1, '{ORG}'" in created  # the rows written
        assert f"project_datasets.project_id = '{PROJECT}'" in created
        assert "data_items.dataset_id =" not in created
        assert created.endswith("ON CONFLICT (project_id, data_item_id) DO NOTHING")

    async def test_or_of_one_dataset(self, db: RecordingSession) -> None:
        await repository(db).create_for_items(PROJECT, DATASET, 0)
        assert f"data_items.dataset_id = '{DATASET}'" in db.last


def _migration_function(number: str, name: str, stage: TaskStage) -> str:
    """A take's function as its migration creates it, on one line."""
    path = Path(tasks.__file__).parents[1] / "migrations" / "versions" / f"{number}_{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{number}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    holder = "assignee_id" if stage is TaskStage.ANNOTATE else "reviewer_id"
    return one_line(module._function(stage.value, holder))


def free_take(stage: TaskStage) -> str:
    """The free take's function (migration 0017)."""
    return _migration_function("0017", "take_without_a_sort", stage)


def take(stage: TaskStage) -> str:
    """The take's function (migration 0021): the caller's own work, then the free take."""
    return _migration_function("0021", "own_work_order_only_its_index_gives", stage)


HOLDERS = {TaskStage.ANNOTATE: "assignee_id", TaskStage.REVIEW: "reviewer_id"}


class TestTakeNext:
    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    async def test_one_round_trip_to_the_stages_take(self, db: RecordingSession, stage: TaskStage) -> None:
        assert await repository(db).take_next(PROJECT, USER, stage) is None
        assert db.raw == [
            (f"SELECT {TASK_COLUMNS} FROM enclave_take_{stage.value}($1, $2, $3)", (USER, ORG, PROJECT))  # noqa: S608
        ]

    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    def test_the_callers_own_work_first_then_free_work(self, stage: TaskStage) -> None:
        found = take(stage)
        signature = f"enclave_take_{stage.value}(p_person uuid, p_org uuid, p_project uuid)"
        assert f"CREATE OR REPLACE FUNCTION {signature}" in found
        own, _, free = found.partition("IF NOT FOUND THEN")
        assert (
            f"WHERE t.{HOLDERS[stage]} = p_person AND t.project_id = p_project AND t.organization_id = p_org"
            in own
        )
        then = f" RETURN QUERY SELECT * FROM enclave_take_free_{stage.value}(p_person, p_org, p_project);"  # noqa: S608
        assert free.startswith(then)

    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    def test_a_take_of_ones_own_work_locks_one_row_of_the_tenants_queue_by_index(
        self, stage: TaskStage
    ) -> None:
        found = take(stage)
        settings = "SET enable_bitmapscan = off SET enable_sort = off SET enable_incremental_sort = off"
        assert f"{settings} SET jit = off" in found
        # The queue read, the row updated, the lease's project and a consensus task's submissions.
        assert found.count("organization_id = p_org") == 4
        assert f"t.stage = '{stage.value}' AND t.removed_at IS NULL" in found
        # Ends in a key only the caller's own index gives after the unique id (migration 0021).
        order = "ORDER BY t.priority DESC, t.consensus_submissions DESC, t.created_at, t.id, t.claimed_until"
        assert f"{order} LIMIT 1 FOR UPDATE SKIP LOCKED" in found
        assert "RETURNING tasks.*; IF NOT FOUND" in found

    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    def test_a_take_of_free_work_locks_one_row_of_the_tenants_queue_without_a_sort(
        self, stage: TaskStage
    ) -> None:
        found = free_take(stage)
        assert (
            f"CREATE FUNCTION enclave_take_free_{stage.value}(p_person uuid, p_org uuid, p_project uuid)"
            in found
        )
        assert "SET enable_sort = off SET enable_incremental_sort = off SET jit = off" in found
        assert "WHERE t.organization_id = p_org AND t.project_id = p_project" in found
        assert found.count("organization_id = p_org") == 4
        assert f"t.stage = '{stage.value}' AND t.removed_at IS NULL" in found
        order = "ORDER BY t.priority DESC, t.consensus_submissions DESC, t.created_at, t.id"
        assert f"{order} LIMIT 1 FOR UPDATE SKIP LOCKED" in found
        assert f"AND (t.{HOLDERS[stage]} IS NULL OR t.claimed_until <= now())" in found
        update = f"UPDATE tasks SET {HOLDERS[stage]} = p_person, claimed_until = now() + make_interval("  # noqa: S608
        assert update in found
        assert found.endswith("RETURNING tasks.*; END $$")

    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    def test_a_take_of_free_work_starts_the_projects_lease_and_ones_own_renews_a_lease(
        self, stage: TaskStage
    ) -> None:
        lease = (
            "now() + make_interval(secs => (SELECT p.claim_lease_seconds FROM projects p"
            " WHERE p.id = p_project AND p.organization_id = p_org))"
        )
        assert f"claimed_until = CASE WHEN claimed_until IS NULL THEN NULL ELSE {lease} END WHERE" in take(
            stage
        )
        assert f"claimed_until = {lease}," in free_take(stage)

    @pytest.mark.parametrize("stage", [TaskStage.ANNOTATE, TaskStage.REVIEW])
    def test_a_consensus_task_is_never_handed_to_someone_who_submitted_to_it(self, stage: TaskStage) -> None:
        never_again = (
            "AND (t.consensus_target IS NULL OR NOT EXISTS (SELECT 1 FROM annotation_versions a"
            " WHERE a.task_id = t.id AND a.organization_id = p_org AND a.author_id = p_person)) ORDER BY"
        )
        assert never_again in take(stage)
        assert never_again in free_take(stage)

    def test_nobody_takes_their_own_work_to_review(self) -> None:
        own_work = " AND t.assignee_id IS DISTINCT FROM p_person AND (t.consensus_target"
        for function in (take, free_take):
            assert own_work in function(TaskStage.REVIEW)
            assert own_work not in function(TaskStage.ANNOTATE)

    def test_the_taken_row_becomes_a_task(self) -> None:
        now = dt.datetime.now(dt.UTC)
        record = {
            "id": TASK, "project_id": PROJECT, "data_item_id": DATASET, "stage": "review",
            "assignee_id": USER, "reviewer_id": None, "priority": 3, "version": 2,
            "created_at": now, "updated_at": now, "claimed_until": now, "consensus_target": 3,
            "consensus_submissions": 1, "agreement": None, "result_version_id": None,
        }  # fmt: skip
        assert [f.name for f in msgspec.structs.fields(Task)] == TASK_COLUMNS.split(", ")
        assert msgspec.convert(record, Task).stage is TaskStage.REVIEW


class TestSubmission:
    def test_the_facts_lock_the_open_task_of_the_tenant(self) -> None:
        facts = one_line(tasks._SUBMISSION_FACTS)
        assert "WHERE t.id = $1 AND t.organization_id = $2 AND t.removed_at IS NULL" in facts
        assert "a.organization_id = t.organization_id" in facts
        assert facts.endswith("FOR UPDATE OF t")

    def test_the_append_moves_the_tenants_task_and_stores_the_version_in_it(self) -> None:
        append = one_line(tasks._APPEND)
        assert "WHERE id = $3 AND organization_id = $2" in append
        assert "(id, organization_id, task_id," in append
        assert "VALUES ($1, $2, $3," in append

    def test_the_append_ends_the_authors_draft_of_the_task(self) -> None:
        append = one_line(tasks._APPEND)
        ended = "DELETE FROM annotation_drafts WHERE organization_id = $2 AND task_id = $3 AND author_id = $5"
        assert ended in append

    def test_the_sample_counts_under_the_tenants_project_row(self) -> None:
        counted = one_line(tasks._SAMPLE_POSITION)
        assert counted.startswith("UPDATE projects SET sampled_submissions = sampled_submissions + 1")
        assert "WHERE id = $1 AND organization_id = $2" in counted
        assert counted.endswith(
            "RETURNING sampled_submissions - 1, sampling_seed, review_sample_percent, review_required"
        )

    async def test_each_runs_with_the_organization(self, db: RecordingSession) -> None:
        annotations = AnnotationRepository(db.session, ORG)
        assert await annotations.submission_facts(TASK, USER) is None
        assert db.raw == [(tasks._SUBMISSION_FACTS, (TASK, ORG, USER))]
        move = TaskMove(TaskStage.ANNOTATE, release_claim=True, consensus_target=3, consensus_submissions=1)
        with pytest.raises(RuntimeError):  # the stand-in stores nothing
            await annotations.append(TASK, USER, 1, USER, 1, b"sealed", None, move)
        sql_, args = db.raw[1]
        assert sql_ == tasks._APPEND
        assert args == (
            USER,
            ORG,
            TASK,
            1,
            USER,
            1,
            b"sealed",
            None,
            "annotate",
            True,
            3,
            1,
            None,
            None,
            False,
        )
        with pytest.raises(RuntimeError):
            await annotations.next_sample_position(PROJECT)
        assert db.raw[2] == (tasks._SAMPLE_POSITION, (PROJECT, ORG))


class TestAnnotationsAndReviews:
    async def test_a_tasks_history_is_in_version_order(self, db: RecordingSession) -> None:
        assert await AnnotationRepository(db.session, ORG).history(TASK) == []
        assert f"annotation_versions.organization_id = '{ORG}'" in db.last
        assert f"annotation_versions.task_id = '{TASK}'" in db.last
        assert db.last.endswith("ORDER BY annotation_versions.version")

    async def test_the_latest_version(self, db: RecordingSession) -> None:
        await AnnotationRepository(db.session, ORG).latest(TASK)
        assert f"annotation_versions.organization_id = '{ORG}'" in db.last
        assert db.last.endswith("ORDER BY annotation_versions.version DESC LIMIT 1")

    async def test_a_version_by_its_idempotency_key(self, db: RecordingSession) -> None:
        await AnnotationRepository(db.session, ORG).by_idempotency_key(TASK, "key-0001")
        assert f"annotation_versions.organization_id = '{ORG}'" in db.last
        assert f"annotation_versions.task_id = '{TASK}'" in db.last
        assert "annotation_versions.idempotency_key = 'key-0001'" in db.last

    async def test_a_tasks_reviews_in_order(self, db: RecordingSession) -> None:
        assert await ReviewRepository(db.session, ORG).of_task(TASK) == []
        assert f"reviews.organization_id = '{ORG}'" in db.last
        assert f"reviews.task_id = '{TASK}'" in db.last
        assert db.last.endswith("ORDER BY reviews.created_at, reviews.id")
