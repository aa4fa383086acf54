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
