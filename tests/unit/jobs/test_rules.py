"""The jobs domain's pure rules: which tasks an export takes, where an imported task stands, which
kind of item an ontology labels, and where an attempt's files live."""

from __future__ import annotations

import datetime as dt

import pytest

from enclave.domain.roles import TaskStage
from enclave.exchange.records import Item, Record, ReviewMark, Submission
from enclave.jobs.import_run import stage_after_import
from enclave.jobs.records import record_filter, uses_a_label
from enclave.jobs.runner import object_key
from enclave.jobs.schemas import ExportCreate
from enclave.jobs.service import item_kind
from enclave.ontologies.schemas import OntologyDefinition, OntologyObject
from enclave.tasks.schemas import AnnotationPayload, Box


def submission(
    *, skipped: bool = False, reviews: list[ReviewMark] | None = None, label: str = "car"
) -> Submission:
    box = Box(label=label, x=1, y=1, width=2, height=2)
    return Submission(
        author="1", payload=AnnotationPayload(objects=[box], classifications={"q": ["sunny"]}),
        skipped=skipped, reviews=reviews or [],
    )  # fmt: skip


def record(*submissions: Submission) -> Record:
    return Record(item=Item(name="a.jpg", kind="image", width=10, height=10), submissions=list(submissions))


class TestRecordFilter:
    def test_finished_work_by_default(self) -> None:
        assert record_filter(ExportCreate(format="coco")).stages == (TaskStage.DONE,)

    def test_every_stage_when_asked(self) -> None:
        assert set(record_filter(ExportCreate(format="coco", include_unfinished=True)).stages or ()) == set(
            TaskStage
        )

    def test_named_stages_within_what_is_allowed(self) -> None:
        asked = ExportCreate(format="coco", stages=[TaskStage.REVIEW, TaskStage.DONE])
        assert record_filter(asked).stages == (TaskStage.DONE,)
        asked = ExportCreate(format="coco", include_unfinished=True, stages=[TaskStage.REVIEW])
        assert record_filter(asked).stages == (TaskStage.REVIEW,)

    def test_times_pass_through(self) -> None:
        since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert record_filter(ExportCreate(format="coco", since=since)).since == since


class TestLabels:
    def test_a_drawn_label_or_an_answer_counts(self) -> None:
        assert uses_a_label(record(submission()), frozenset({"car"}))
        assert uses_a_label(record(submission()), frozenset({"sunny"}))
        assert not uses_a_label(record(submission()), frozenset({"bus"}))

    def test_only_the_current_submission_counts(self) -> None:
        assert not uses_a_label(record(submission(label="car"), submission(label="bus")), frozenset({"car"}))
        assert not uses_a_label(record(submission(skipped=True)), frozenset({"car"}))


class TestStageAfterImport:
    def test_no_work_or_only_skipped_work_waits_for_annotation(self) -> None:
        assert stage_after_import(record(), review_required=True) is TaskStage.ANNOTATE
        assert (
            stage_after_import(record(submission(skipped=True)), review_required=False) is TaskStage.ANNOTATE
        )

    @pytest.mark.parametrize(
        ("review_required", "stage"), [(True, TaskStage.REVIEW), (False, TaskStage.DONE)]
    )
    def test_unreviewed_work_follows_the_project(self, review_required: bool, stage: TaskStage) -> None:
        assert stage_after_import(record(submission()), review_required=review_required) is stage

    def test_the_last_review_decides(self) -> None:
        approved = [ReviewMark(accepted=False, reviewer="r"), ReviewMark(accepted=True, reviewer="r")]
        assert (
            stage_after_import(record(submission(reviews=approved)), review_required=True) is TaskStage.DONE
        )
        rejected = list(reversed(approved))
        assert (
            stage_after_import(record(submission(reviews=rejected)), review_required=True)
            is TaskStage.ANNOTATE
        )


def test_item_kind_follows_the_shapes() -> None:
    boxes = OntologyDefinition(objects=[OntologyObject(name="car", kind="bbox")])
    spans = OntologyDefinition(objects=[OntologyObject(name="PER", kind="span")])
    assert (item_kind(boxes), item_kind(spans), item_kind(OntologyDefinition())) == ("image", "text", None)


def test_each_attempt_has_its_own_files() -> None:
    import uuid

    job = uuid.UUID(int=7)
    assert object_key(job, 1, "artifact") != object_key(job, 2, "artifact")
    assert object_key(job, 2, "artifact") == f"jobs/{job}/2/artifact"


def test_a_settled_submission_is_the_current_one() -> None:
    first, second = submission(label="car"), submission(label="bus")
    assert record(first, second).current is second
    settled = Record(item=record().item, submissions=[first, second], settled=0)
    assert settled.current is first
    assert uses_a_label(settled, frozenset({"car"}))
