"""A project's export as JSON lines: one line per open task, in creation order, with its item, its
current (latest) annotation version and its latest review decision::

    {"task": {"id": ..., "stage": "review", "priority": 0, "created_at": ..., "updated_at": ...},
     "item": {"id": ..., "dataset_id": ..., "name": "img-0001.png", "media_type": "image/png"},
     "annotation": {"id": ..., "version": 2, "author_id": ..., "ontology_version": 1,
                    "created_at": ..., "payload": {"objects": [...], "classifications": {...}}},
     "review": {"decision": "approve", "reviewer_id": ..., "created_at": ...}}

``annotation`` and ``review`` are null where there is none. Streams from a server-side cursor in
batches, opening sealed names and payloads as it goes: memory stays flat however large the project.
A payload's plaintext JSON goes into the line as it was sealed, never decoded and re-encoded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy import Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.crypto.keyring import KeyRing
from enclave.datasets.service import ITEMS
from enclave.db.models import AnnotationVersion as AnnotationVersionRow
from enclave.db.models import DataItem as DataItemRow
from enclave.db.models import Review as ReviewRow
from enclave.db.models import Task as TaskRow
from enclave.domain.roles import ReviewDecision, TaskStage
from enclave.tasks.service import ANNOTATIONS

#: Rows fetched from the cursor per round trip.
BATCH = 500


class ExportedTask(msgspec.Struct):
    id: uuid.UUID
    stage: TaskStage
    priority: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ExportedItem(msgspec.Struct):
    id: uuid.UUID
    dataset_id: uuid.UUID
    name: str
    media_type: str


class ExportedAnnotation(msgspec.Struct):
    id: uuid.UUID
    version: int
    author_id: uuid.UUID
    ontology_version: int
    created_at: dt.datetime
    payload: msgspec.Raw


class ExportedReview(msgspec.Struct):
    decision: ReviewDecision
    reviewer_id: uuid.UUID
    created_at: dt.datetime


class ExportLine(msgspec.Struct):
    task: ExportedTask
    item: ExportedItem
    annotation: ExportedAnnotation | None
    review: ExportedReview | None


def _statement(project_id: uuid.UUID) -> Select[Any]:
    # Each task's item, latest version and latest review are looked up per task (LATERAL ... LIMIT 1:
    # a primary-key or index probe each). As a plain join, a project imported moments ago — before
    # autovacuum has counted its rows — let the planner probe items by their organization instead,
    # reading every item of the organization for every task (0.28 s instead of 0.02 s for 2,000).
    item = (
        select(DataItemRow.id, DataItemRow.dataset_id, DataItemRow.name, DataItemRow.media_type)
        .where(DataItemRow.id == TaskRow.data_item_id)
        .limit(1)
        .lateral("item")
    )
    latest = (
        select(
            AnnotationVersionRow.id,
            AnnotationVersionRow.version,
            AnnotationVersionRow.author_id,
            AnnotationVersionRow.ontology_version,
            AnnotationVersionRow.created_at,
            AnnotationVersionRow.payload,
        )
        .where(AnnotationVersionRow.task_id == TaskRow.id)
        .order_by(AnnotationVersionRow.version.desc())
        .limit(1)
        .lateral("latest")
    )
    reviewed = (
        select(ReviewRow.decision, ReviewRow.reviewer_id, ReviewRow.created_at)
        .where(ReviewRow.task_id == TaskRow.id)
        .order_by(ReviewRow.created_at.desc())
        .limit(1)
        .lateral("reviewed")
    )
    return (
        select(
            TaskRow.id,
            TaskRow.stage,
            TaskRow.priority,
            TaskRow.created_at,
            TaskRow.updated_at,
            *item.c,
            *latest.c,
            *reviewed.c,
        )
        .select_from(TaskRow)
        .join(item, true())
        .outerjoin(latest, true())
        .outerjoin(reviewed, true())
        .where(TaskRow.project_id == project_id, TaskRow.removed_at.is_(None))
        .order_by(TaskRow.created_at, TaskRow.id)
    )


class ProjectExport:
    """Reads one project's export; the caller has checked the policy and bound the session."""

    def __init__(self, keyring: KeyRing, organization_id: uuid.UUID, project_id: uuid.UUID) -> None:
        self._keyring = keyring
        self._organization_id = organization_id
        self._project_id = project_id

    async def jsonl(self, session: AsyncSession) -> AsyncIterator[bytes]:
        cipher = ContentCipher(self._keyring, session, self._organization_id)
        encoder = msgspec.json.Encoder()
        rows = await session.stream(_statement(self._project_id).execution_options(yield_per=BATCH))
        async for batch in rows.partitions():
            out = bytearray()
            for row in batch:
                line = await _line(cipher, row)
                encoder.encode_into(line, out, -1)
                out += b"\n"
            yield bytes(out)


async def _line(cipher: ContentCipher, row: Any) -> ExportLine:
    (task_id, stage, priority, created_at, updated_at, item_id, dataset_id, sealed_name, media_type,
     annotation_id, version, author_id, ontology_version, annotated_at, sealed_payload,
     decision, reviewer_id, reviewed_at) = row  # fmt: skip
    annotation = None
    if annotation_id is not None:
        payload = await cipher.open(sealed_payload, ANNOTATIONS, annotation_id, "payload")
        annotation = ExportedAnnotation(
            annotation_id, version, author_id, ontology_version, annotated_at, msgspec.Raw(payload)
        )
    review = None if decision is None else ExportedReview(decision, reviewer_id, reviewed_at)
    return ExportLine(
        ExportedTask(task_id, stage, priority, created_at, updated_at),
        ExportedItem(
            item_id, dataset_id, await cipher.open_text(sealed_name, ITEMS, item_id, "name"), media_type
        ),
        annotation,
        review,
    )
