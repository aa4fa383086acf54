"""Task, annotation and review schemas, including the annotation payload format."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.domain.roles import ReviewDecision, TaskStage
from enclave.ontologies.schemas import Name

Coordinate = Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]
Extent = Annotated[float, msgspec.Meta(gt=0, le=1_000_000)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]


class Task(msgspec.Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    data_item_id: uuid.UUID
    stage: TaskStage
    assignee_id: uuid.UUID | None
    reviewer_id: uuid.UUID | None
    priority: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    #: When the holder's lease (a take from a queue) runs out; null: a manager's assignment, or nobody.
    claimed_until: dt.datetime | None = None
    #: Consensus: the round's size (null: not in consensus) and the submissions it has collected.
    consensus_target: int | None = None
    consensus_submissions: int = 0
    #: The consensus round's agreement score, in [0, 1].
    agreement: float | None = None
    #: The version a consensus task settled on (null: the newest version is the result).
    result_version_id: uuid.UUID | None = None


class TaskPage(msgspec.Struct):
    items: list[Task]
    next_cursor: str | None


class TaskCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Creates a task for every item of the project's datasets (or of one of them) that has none."""

    dataset_id: uuid.UUID | None = None
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0


class TasksCreated(msgspec.Struct):
    created: int


class TaskUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Assigns work. ``null`` unassigns; a field left out is unchanged."""

    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    reviewer_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] | msgspec.UnsetType = msgspec.UNSET


class NextTaskRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: Which queue to take from; by default the caller's first role's (annotate, else review).
    stage: TaskStage | None = None


class NextTask(msgspec.Struct):
    task: Task | None


class Box(msgspec.Struct, tag="bbox", tag_field="kind", forbid_unknown_fields=True):
    label: Name
    x: Coordinate
    y: Coordinate
    width: Extent
    height: Extent


class Polygon(msgspec.Struct, tag="polygon", tag_field="kind", forbid_unknown_fields=True):
    label: Name
    points: Annotated[list[tuple[Coordinate, Coordinate]], msgspec.Meta(min_length=3, max_length=2000)]


class Span(msgspec.Struct, tag="span", tag_field="kind", forbid_unknown_fields=True):
    label: Name
    start: Offset
    end: Offset


class AnnotationPayload(msgspec.Struct, forbid_unknown_fields=True):
    objects: Annotated[list[Box | Polygon | Span], msgspec.Meta(max_length=5000)] = msgspec.field(
        default_factory=list
    )
    classifications: Annotated[
        dict[Name, Annotated[list[Name], msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=100)
    ] = msgspec.field(default_factory=dict)


class AnnotationSubmit(msgspec.Struct, forbid_unknown_fields=True):
    payload: AnnotationPayload
    #: The annotator cannot label this item (unreadable, out of scope): the version records that,
    #: with an empty payload, and the task moves on as any submission does (to review, if asked).
    skipped: bool = False


class DraftSave(msgspec.Struct, forbid_unknown_fields=True):
    payload: AnnotationPayload


class Draft(msgspec.Struct):
    """The caller's saved, unsent work on a task (both None: they have saved none)."""

    payload: AnnotationPayload | None
    saved_at: dt.datetime | None


class Routed(msgspec.Struct):
    """Where a submission or a review sent its task, for the route's audit record."""

    stage: TaskStage
    #: A sampled project: whether the sample chose this submission for review.
    sampled: bool | None = None
    agreement: float | None = None


class AnnotationVersion(msgspec.Struct):
    id: uuid.UUID
    task_id: uuid.UUID
    version: int
    author_id: uuid.UUID
    ontology_version: int
    payload: AnnotationPayload
    created_at: dt.datetime
    #: Its author skipped the task rather than label it (the payload is empty).
    skipped: bool = False


class AnnotationHistory(msgspec.Struct):
    items: list[AnnotationVersion]


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A review decision. A consensus task below its agreement threshold is resolved by approving
    either one of its submissions (``annotation_version_id``) or a merge of them (``payload``, stored
    as a new version by the reviewer); other tasks are approved or rejected as submitted."""

    decision: ReviewDecision
    comment: Annotated[str, msgspec.Meta(max_length=10_000)] = ""
    annotation_version_id: uuid.UUID | None = None
    payload: AnnotationPayload | None = None


class Review(msgspec.Struct):
    id: uuid.UUID
    task_id: uuid.UUID
    annotation_version_id: uuid.UUID
    reviewer_id: uuid.UUID
    decision: ReviewDecision
    comment: str
    created_at: dt.datetime


class ReviewList(msgspec.Struct):
    items: list[Review]
