"""Ontology schemas, including the definition format annotations are checked against."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


class OntologyObject(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A kind of thing annotators draw or mark: a box, a polygon, or a text span."""

    name: Name
    kind: Literal["bbox", "polygon", "span"]
    #: The labeling-config control the label came from (a Label Studio ``from_name``), kept so that an
    #: export in that tool's format fits the config it was imported with. None: a name is made up.
    control: Name | None = None


class Classification(msgspec.Struct, forbid_unknown_fields=True):
    """A question with fixed answers about the whole item."""

    name: Name
    options: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=100)]
    multiple: bool = False


class Subject(msgspec.Struct, forbid_unknown_fields=True):
    """The data the labels are put on, as an imported labeling config names it:
    ``<Image name="image" value="$image"/>`` is ``Subject("image", "image")``."""

    #: The object tag's name (a result's ``to_name``).
    name: Name
    #: The task data key the item comes from (the tag's ``value`` without its ``$``).
    value: Name


class OntologyDefinition(msgspec.Struct, forbid_unknown_fields=True):
    objects: Annotated[list[OntologyObject], msgspec.Meta(max_length=200)] = msgspec.field(
        default_factory=list
    )
    classifications: Annotated[list[Classification], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    #: Where an imported labeling config put its labels; None for an ontology made here.
    subject: Subject | None = None


class Ontology(msgspec.Struct):
    id: uuid.UUID
    name: str
    current_version: int
    definition: OntologyDefinition
    created_at: dt.datetime


class OntologyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    definition: OntologyDefinition


class OntologyVersionCreate(msgspec.Struct, forbid_unknown_fields=True):
    definition: OntologyDefinition


class OntologyVersion(msgspec.Struct):
    ontology_id: uuid.UUID
    version: int
    definition: OntologyDefinition
    created_by: uuid.UUID
    created_at: dt.datetime


class OntologyPage(msgspec.Struct):
    items: list[Ontology]
    next_cursor: str | None


class OntologyVersionList(msgspec.Struct):
    items: list[OntologyVersion]
