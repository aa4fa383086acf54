"""A project's export as JSON lines: one line per open task, in creation order, with its item, its
current (latest) annotation version and its latest review decision::

    {"task": {"id": ..., "stage": "review", "priority": 0, "created_at": ..., "updated_at": ...},
     "item": {"id": ..., "dataset_id": ..., "name": "img-0001.png", "media_type": "image/png"},
     "annotation": {"id": ..., "version": 2, "author_id": ..., "ontology_version": 1,
                    "created_at": ..., "payload": {"objects": [...], "classifications": {...}}},
     "review": {"decision": "approve", "reviewer_id": ..., "created_at": ...}}

``annotation`` and ``review`` are null where there is none. Reads the rows in batches from a
server-side cursor (``db.repositories.exports``), opening sealed names and payloads as it goes: memory
stays flat however large the project. A payload's plaintext JSON goes into the line as it was sealed,
never decoded and re-encoded. Must never build or run a query, nor hold more than a batch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.crypto.keyring import KeyRing
from enclave.db.repositories.exports import ProjectExportRepository
from enclave.db.repositories.exports import export_statement as _statement  # noqa: F401  # see below
from enclave.domain.roles import ReviewDecision, TaskStage

# ``_statement``: the export's query shape now lives in the repository; the plan test
# (tests/integration/domain/test_project_export.py) still imports it from here under its old name.


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


class ProjectExport:
    """Reads one project's export; the caller has checked the policy and bound the session."""

    def __init__(self, keyring: KeyRing, organization_id: uuid.UUID, project_id: uuid.UUID) -> None:
        self._keyring = keyring
        self._organization_id = organization_id
        self._project_id = project_id

    async def jsonl(self, session: AsyncSession) -> AsyncIterator[bytes]:
        cipher = ContentCipher(self._keyring, session, self._organization_id)
        exports = ProjectExportRepository(session, self._organization_id)
        encoder = msgspec.json.Encoder()
        async for batch in exports.batches(self._project_id):
            out = bytearray()
            for row in batch:
                line = await _line(cipher, row)
                encoder.encode_into(line, out, -1)
                out += b"\n"
            yield bytes(out)


async def _line(cipher: ContentCipher, row: Any) -> ExportLine:
    # The repository's EXPORT_COLUMNS, in order.
    (task_id, stage, priority, created_at, updated_at, item_id, dataset_id, sealed_name, media_type,
     annotation_id, version, author_id, ontology_version, annotated_at, sealed_payload,
     decision, reviewer_id, reviewed_at) = row  # fmt: skip
    annotation = None
    if annotation_id is not None:
        payload = await cipher.open_annotation_payload_json(annotation_id, sealed_payload)
        annotation = ExportedAnnotation(
            annotation_id, version, author_id, ontology_version, annotated_at, msgspec.Raw(payload)
        )
    review = None if decision is None else ExportedReview(decision, reviewer_id, reviewed_at)
    return ExportLine(
        ExportedTask(task_id, stage, priority, created_at, updated_at),
        ExportedItem(item_id, dataset_id, await cipher.open_item_name(item_id, sealed_name), media_type),
        annotation,
        review,
    )
