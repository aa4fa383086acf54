"""Drafts: an annotator keeps unsent work on a task assigned to them, on the server and sealed, and
finds it again from any browser; submitting the task ends it (``TaskService.submit``).

A draft is checked against the project's ontology as a submission is (a draft that could never be
submitted is refused now, not at submit time) and only while the task is open for annotation. Must
never show anyone a draft but its author's own (drafts are looked up by the caller's id; the policy
has already allowed only the task's annotator)."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.principal import Principal
from enclave.crypto.content import ContentCipher
from enclave.db.repositories.drafts import DraftRepository, draft_id
from enclave.db.repositories.tasks import AnnotationRepository
from enclave.domain.errors import InvalidState, NotFound
from enclave.domain.roles import TaskStage
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.payloads import check_payload
from enclave.tasks.schemas import AnnotationPayload, Draft


class DraftService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID, cipher: ContentCipher) -> None:
        self.cipher = cipher
        self.drafts = DraftRepository(session, organization_id)
        self.annotations = AnnotationRepository(session, organization_id)

    async def get(self, task_id: uuid.UUID, author: Principal) -> Draft:
        row = await self.drafts.of(task_id, author.user_id)
        if row is None:
            return Draft(None, None)
        opened = await self.cipher.open_draft_payload(row.id, row.payload)
        return Draft(msgspec.convert(opened, AnnotationPayload), row.updated_at)

    async def save(self, task_id: uuid.UUID, author: Principal, payload: AnnotationPayload) -> Draft:
        facts = await self.annotations.submission_facts(task_id, author.user_id)  # the task is locked
        if facts is None:
            raise NotFound("No such task.")
        if facts.stage is not TaskStage.ANNOTATE:
            raise InvalidState("This task is not open for annotation; its draft cannot be saved.")
        check_payload(payload, msgspec.convert(facts.definition, OntologyDefinition))
        sealed = await self.cipher.seal_draft_payload(draft_id(task_id, author.user_id), payload)
        saved_at = await self.drafts.save(task_id, author.user_id, sealed)
        return Draft(payload, saved_at)
