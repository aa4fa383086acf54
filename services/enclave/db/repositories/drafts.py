"""Drafts: every query on ``annotation_drafts``. Owns the draft's id (derived from its task and
author, so a replaced draft keeps the id its payload is sealed to) and the replace-in-place write.
Must never decide who may keep a draft (the policy's, on the locked task) nor seal anything."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from enclave.db.models import AnnotationDraft
from enclave.db.repositories.base import TenantRepository

#: The namespace of draft ids (a fixed, random UUID: never change it, stored seals depend on it).
_DRAFTS = uuid.UUID("6f1b8f6c-3c5e-4b8e-9d0a-2a7e4c1d9b35")


def draft_id(task_id: uuid.UUID, author_id: uuid.UUID) -> uuid.UUID:
    """The one id a task's draft by this author ever has."""
    return uuid.uuid5(_DRAFTS, f"{task_id}/{author_id}")


class DraftRepository(TenantRepository[AnnotationDraft]):
    model = AnnotationDraft

    async def of(self, task_id: uuid.UUID, author_id: uuid.UUID) -> AnnotationDraft | None:
        statement = self.select().where(
            AnnotationDraft.task_id == task_id, AnnotationDraft.author_id == author_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def save(self, task_id: uuid.UUID, author_id: uuid.UUID, sealed_payload: bytes) -> dt.datetime:
        """Stores the draft, replacing the author's earlier one; returns when it was saved."""
        statement = (
            insert(AnnotationDraft)
            .values(
                id=draft_id(task_id, author_id),
                organization_id=self.organization_id,
                task_id=task_id,
                author_id=author_id,
                payload=sealed_payload,
            )
            .on_conflict_do_update(
                index_elements=[AnnotationDraft.task_id, AnnotationDraft.author_id],
                set_={"payload": sealed_payload, "updated_at": func.now()},
            )
            .returning(AnnotationDraft.updated_at)
        )
        saved: dt.datetime = (await self.session.execute(statement)).scalar_one()
        return saved
