"""The neutral shape every reader produces and every writer consumes: a ``Record`` per task, with its
item and its submissions (annotation versions) in the order they were made.

Geometry is in the item's own units: pixels for images (``x``/``y`` from the top left), character
offsets for text; formats that use fractions or percentages convert at their edge. Payloads are the
platform's ``AnnotationPayload``, so what a reader yields is what an annotator could have submitted.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import msgspec

from enclave.exchange.errors import ExchangeError
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import AnnotationPayload


class Item(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What was labeled. Media are referenced by ``name`` (matched to an uploaded file), never fetched."""

    name: str
    kind: Literal["image", "text"]
    #: A text item's text (it travels with its labels; character offsets index into it).
    text: str | None = None
    #: An image's size in pixels, as the labels were drawn on it.
    width: int | None = None
    height: int | None = None


class ReviewMark(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A reviewer's decision on a submission."""

    accepted: bool
    reviewer: str
    created_at: dt.datetime | None = None
    comment: str = ""


class Submission(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One annotation version as its source recorded it."""

    #: Who made it, as the source names them (a Label Studio user id, an e-mail address, an account id).
    author: str
    payload: AnnotationPayload
    #: When it was made. (A source's "updated at" is not kept: a version here never changes after it
    #: is made, so an edited annotation's last change is the time of the version that holds it.)
    created_at: dt.datetime | None = None
    #: The annotator skipped the task (Label Studio's ``was_cancelled``): the payload is what they left.
    skipped: bool = False
    #: The source's id for the submission, kept for the report and for a round trip.
    source_id: str | None = None
    reviews: list[ReviewMark] = msgspec.field(default_factory=list)


class Record(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One task: an item and every submission on it, oldest first."""

    item: Item
    submissions: list[Submission] = msgspec.field(default_factory=list)
    #: The source's id for the task (Label Studio's task id), named in every error about it.
    source_id: str | None = None
    #: Which submission the task settled on, where that is not simply the newest (a consensus round
    #: decides on the best-agreeing one): its place in ``submissions``.
    settled: int | None = None

    @property
    def current(self) -> Submission | None:
        """The submission a training set takes: the one the task settled on, else the newest one
        that was not skipped."""
        if self.settled is not None and 0 <= self.settled < len(self.submissions):
            return self.submissions[self.settled]
        for submission in reversed(self.submissions):
            if not submission.skipped:
                return submission
        return None

    @property
    def label(self) -> str:
        """How an error names this task to a person."""
        return f"task {self.source_id}" if self.source_id is not None else f"item {self.item.name!r}"


#: The records again, from the start and in the same order, each time it is called: a writer that
#: needs two looks (COCO: images, then annotations) reads twice instead of holding a project.
Reread = Callable[[], Iterable[Record]]
#: A file a writer produces: its path within the export, and its bytes as they come.
File = tuple[str, Iterator[bytes]]


def labeled(records: Iterable[Record]) -> Iterator[tuple[Record, Submission]]:
    """The records that have work to export, each with the submission that counts."""
    for record in records:
        current = record.current
        if current is not None:
            yield record, current


def shape_classes(definition: OntologyDefinition) -> list[str]:
    """The labels drawn as shapes (boxes and polygons), in ontology order: a detection class list."""
    return [obj.name for obj in definition.objects if obj.kind in {"bbox", "polygon"}]


def image_size(record: Record) -> tuple[int, int]:
    if record.item.kind != "image" or not record.item.width or not record.item.height:
        raise ExchangeError("an image with a known size is needed here", record.label)
    return record.item.width, record.item.height


class Stems:
    """File stems for per-image files (``labels/<stem>.txt``), refusing a second image of one stem:
    its labels would overwrite the first's."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, record: Record) -> str:
        stem = posixpath.splitext(record.item.name)[0]
        if not stem or stem in {".", ".."} or "/" in stem:
            raise ExchangeError(f"{record.item.name!r} cannot name a file", record.label)
        if stem in self._seen:
            raise ExchangeError(
                f"{record.item.name!r} and {self._seen[stem]!r} would write the same file {stem!r}",
                record.label,
            )
        self._seen[stem] = record.item.name
        return stem
