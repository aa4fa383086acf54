"""Project and project-member schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.domain.roles import ProjectRole

Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=50)]


class Project(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str
    ontology_id: uuid.UUID
    review_required: bool
    tags: list[str]
    version: int
    created_at: dt.datetime


class ProjectCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    ontology_id: uuid.UUID
    description: Annotated[str, msgspec.Meta(max_length=5000)] = ""
    review_required: bool = True
    tags: Tags = msgspec.field(default_factory=list)


class ProjectUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=5000)] | msgspec.UnsetType = msgspec.UNSET
    review_required: bool | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET


class ProjectPage(msgspec.Struct):
    items: list[Project]
    next_cursor: str | None


class ProjectMember(msgspec.Struct):
    user_id: uuid.UUID
    role: ProjectRole
    version: int
    created_at: dt.datetime


class ProjectMemberAdd(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    role: ProjectRole


class ProjectMemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: ProjectRole


class ProjectMemberList(msgspec.Struct):
    items: list[ProjectMember]


class ProjectDatasetAttach(msgspec.Struct, forbid_unknown_fields=True):
    dataset_id: uuid.UUID


class ProjectDataset(msgspec.Struct):
    project_id: uuid.UUID
    dataset_id: uuid.UUID


class AttachedDataset(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    created_at: dt.datetime


class ProjectDatasetList(msgspec.Struct):
    """The datasets whose items become the project's tasks."""

    items: list[AttachedDataset]


# --- the labeling workflow -------------------------------------------------------------------

SamplePercent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Annotators = Annotated[int, msgspec.Meta(ge=1, le=10)]
Threshold = Annotated[float, msgspec.Meta(ge=0, le=1)]
LeaseSeconds = Annotated[int, msgspec.Meta(ge=1, le=604_800)]
Seed = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


class Workflow(msgspec.Struct):
    """A project's labeling workflow: annotate → review → done (``docs/architecture.md``)."""

    #: Whether submitted work is reviewed at all.
    review_required: bool
    #: Review this share of first-time submissions, chosen reproducibly; the rest are done at once.
    review_sample_percent: int
    #: The sample's seed: the same seed and submission order review the same tasks.
    sampling_seed: str
    #: How many annotators label each task (1: no consensus).
    consensus_annotators: int
    #: Consensus tasks whose agreement is below this go to review; the rest are done.
    consensus_threshold: float
    #: How long a task taken from a queue stays with its taker before another may take it.
    claim_lease_seconds: int
    #: The project's version (its ETag).
    version: int


class WorkflowUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The whole workflow (a field left out takes its default), except the seed, which is kept
    unless given. Applies to submissions made after it: tasks in review stay in review, done tasks
    stay done, and a consensus round in progress finishes at the size it began with."""

    review_required: bool = True
    review_sample_percent: SamplePercent = 100
    sampling_seed: Seed | None = None
    consensus_annotators: Annotators = 1
    consensus_threshold: Threshold = 0.8
    claim_lease_seconds: LeaseSeconds = 1800
