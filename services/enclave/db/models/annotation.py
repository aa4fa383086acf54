"""Annotation versions and reviews: append-only. The api role may INSERT and SELECT them, never
UPDATE or DELETE (grants and a trigger, migration 0002)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin
from enclave.db.models.identity import pg_enum
from enclave.domain.roles import ReviewDecision


class AnnotationVersion(TenantMixin, Base):
    __tablename__ = "annotation_versions"
    __table_args__ = (UniqueConstraint("task_id", "version"), UniqueConstraint("task_id", "idempotency_key"))
    organization_indexed_alone = False  # see TenantMixin

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    version: Mapped[int]
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    ontology_version: Mapped[int]
    #: The annotation payload (JSON), sealed: ``enclave.crypto.fields`` bound to this row and column.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    #: The annotator skipped the task: the editor's Skip (an empty payload), or an import's skipped
    #: work (the payload is what they left).
    skipped: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    #: For imported work: who made it and when, as the source recorded them (``author_id`` is then the
    #: member who imported it, unless the source's author is a member of this organization).
    source_author: Mapped[str | None] = mapped_column(String(320))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Review(TenantMixin, Base):
    __tablename__ = "reviews"
    organization_indexed_alone = False  # see TenantMixin

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    annotation_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("annotation_versions.id"))
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[ReviewDecision] = mapped_column(pg_enum(ReviewDecision, "review_decision"))
    #: The reviewer's comment, sealed like a payload.
    comment: Mapped[bytes] = mapped_column(LargeBinary)
    #: For an imported review: its reviewer and time as the source recorded them.
    source_reviewer: Mapped[str | None] = mapped_column(String(320))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
