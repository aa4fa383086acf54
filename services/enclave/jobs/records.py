"""A project's tasks as exchange records, for an export job: read in batches from one snapshot,
opened (item names, texts, payloads, review comments) as they come, filtered by the job's labels.

Owns the mapping from the platform's rows to ``enclave.exchange.records``: a task's item, every
annotation version oldest first (its author and time as its source recorded them, for imported
work), each version's reviews, and the version a consensus round settled on. Must never hold more
than one batch of a project, nor build a query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.db.repositories.exports import ProjectRecordRepository, RecordFilter
from enclave.domain.roles import ReviewDecision, TaskStage
from enclave.exchange.records import Item, Record, ReviewMark, Submission
from enclave.jobs.schemas import ExportCreate
from enclave.tasks.schemas import AnnotationPayload

_payloads = msgspec.json.Decoder(AnnotationPayload)


def record_filter(export: ExportCreate) -> RecordFilter:
    """Finished work only unless the export asks for the rest; then the stages it names, if any."""
    allowed = set(TaskStage) if export.include_unfinished else {TaskStage.DONE}
    if export.stages is not None:
        allowed &= set(export.stages)
    return RecordFilter(tuple(sorted(allowed)), export.since, export.until)


def uses_a_label(record: Record, labels: frozenset[str]) -> bool:
    current = record.current
    if current is None:
        return False
    drawn = {obj.label for obj in current.payload.objects}
    answered = {answer for answers in current.payload.classifications.values() for answer in answers}
    return not labels.isdisjoint(drawn | answered)


class ProjectRecords:
    """One export's records, read in the session it is given (bound to the organization, in one
    REPEATABLE READ transaction, so a second pass reads what the first did)."""

    def __init__(
        self,
        session: AsyncSession,
        cipher: ContentCipher,
        organization_id: uuid.UUID,
        project_id: uuid.UUID,
        export: ExportCreate,
        batch_size: int,
    ) -> None:
        self._repository = ProjectRecordRepository(session, organization_id)
        self._cipher = cipher
        self._project_id = project_id
        self._filter = record_filter(export)
        self._labels = frozenset(export.labels) if export.labels else None
        self._batch_size = batch_size

    async def batches(self) -> AsyncIterator[list[Record]]:
        async for rows in self._repository.batches(self._project_id, self._filter, self._batch_size):
            records = await self._records(rows)
            if self._labels is not None:
                records = [r for r in records if uses_a_label(r, self._labels)]
            yield records

    async def _records(self, rows: Sequence[Any]) -> list[Record]:
        versions, reviews = await self._repository.history([row.id for row in rows])
        marks: dict[uuid.UUID, list[ReviewMark]] = defaultdict(list)
        for review in reviews:
            marks[review.annotation_version_id].append(
                ReviewMark(
                    accepted=review.decision is ReviewDecision.APPROVE,
                    reviewer=review.source_reviewer or str(review.reviewer_id),
                    created_at=review.recorded_at or review.created_at,
                    comment=await self._cipher.open_review_comment(review.id, review.comment),
                )
            )
        submissions: dict[uuid.UUID, list[Submission]] = defaultdict(list)
        for version in versions:
            payload = await self._cipher.open_annotation_payload_json(version.id, version.payload)
            submissions[version.task_id].append(
                Submission(
                    author=version.source_author or str(version.author_id),
                    payload=_payloads.decode(payload),
                    created_at=version.recorded_at or version.created_at,
                    skipped=version.skipped,
                    source_id=str(version.id),
                    reviews=marks.get(version.id, []),
                )
            )
        records = []
        for row in rows:
            text = None
            if row.sealed_text is not None:
                text = (await self._cipher.open_item_text_utf8(row.item_id, row.sealed_text)).decode()
            item = Item(
                name=await self._cipher.open_item_name(row.item_id, row.sealed_name),
                kind="text" if row.kind == "text" else "image",
                text=text,
                width=row.width,
                height=row.height,
            )
            history = submissions.get(row.id, [])
            settled = next(
                (
                    i
                    for i, s in enumerate(history)
                    if row.result_version_id and s.source_id == str(row.result_version_id)
                ),
                None,
            )
            records.append(Record(item=item, submissions=history, source_id=str(row.id), settled=settled))
        return records
