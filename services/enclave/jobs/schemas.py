"""Job schemas: what a client asks for (an export, an import) and what it sees of a job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from enclave.domain.jobs import JobKind, JobState
from enclave.domain.roles import TaskStage
from enclave.ontologies.schemas import Name

ExportFormatName = Literal["coco", "yolo", "voc", "conll2003", "jsonl", "label-studio"]


class ExportCreate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An export of the project, or of part of it. By default only finished work: tasks whose work
    is approved, or complete without review where the workflow does not review them."""

    format: ExportFormatName
    #: Tasks in any stage, with their current work (a training set wants only the default).
    include_unfinished: bool = False
    #: Only tasks in these stages (within what ``include_unfinished`` allows).
    stages: Annotated[list[TaskStage], msgspec.Meta(min_length=1, max_length=3)] | None = None
    #: Only tasks whose current work uses one of these labels (object labels or classification answers).
    labels: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=200)] | None = None
    #: Only tasks whose current work was made at or after this time...
    since: dt.datetime | None = None
    #: ...and before this one.
    until: dt.datetime | None = None


class Progress(msgspec.Struct):
    done: int
    #: None while unknown (an import before it has read its input).
    total: int | None


class Artifact(msgspec.Struct):
    """What an export made; download it from ``/projects/{id}/jobs/{job_id}/artifact`` (Range works)."""

    name: str
    media_type: str
    size: int


class Job(msgspec.Struct):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: JobKind
    state: JobState
    parameters: dict[str, Any]
    progress: Progress
    attempts: int
    cancel_requested: bool
    requested_by: uuid.UUID
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    #: Why it failed, for the person who asked (the task and field at fault, for bad input).
    error: str | None
    artifact: Artifact | None
    #: What an import made (counts), or None.
    result: dict[str, Any] | None


class JobList(msgspec.Struct):
    items: list[Job]


class LabelStudioOntologyCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new ontology read from a Label Studio project's labeling config (its XML)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    label_config: Annotated[str, msgspec.Meta(min_length=1, max_length=1_000_000)]
