"""Projects and their members (with a project role)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin, VersionedMixin
from enclave.db.models.identity import pg_enum
from enclave.domain.roles import ProjectRole


class Project(TenantMixin, VersionedMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("review_sample_percent BETWEEN 0 AND 100", name="review_sample_percent"),
        CheckConstraint("consensus_annotators BETWEEN 1 AND 10", name="consensus_annotators"),
        CheckConstraint("consensus_threshold BETWEEN 0 AND 1", name="consensus_threshold"),
        CheckConstraint("claim_lease_seconds BETWEEN 1 AND 604800", name="claim_lease_seconds"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    ontology_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ontologies.id"))
    review_required: Mapped[bool] = mapped_column(default=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The labeling workflow (migration 0013; ``enclave.tasks.stages`` reads them).
    #: Review this share of first-time submissions (when ``review_required``); 100: all of them.
    review_sample_percent: Mapped[int] = mapped_column(SmallInteger, default=100)
    #: The reproducible sample's seed (``enclave.tasks.sampling``), and its count of first-time
    #: submissions, advanced under this row's lock by each submission it samples.
    sampling_seed: Mapped[str] = mapped_column(String(128), default=lambda: secrets.token_hex(16))
    sampled_submissions: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Consensus: how many annotators label each task (1: none), and the agreement that completes
    #: a task without review.
    consensus_annotators: Mapped[int] = mapped_column(SmallInteger, default=1)
    consensus_threshold: Mapped[float] = mapped_column(default=0.8)
    #: How long a task taken from a queue stays with its taker before another may take it.
    claim_lease_seconds: Mapped[int] = mapped_column(default=1800)


class ProjectMember(TenantMixin, VersionedMixin, Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[ProjectRole] = mapped_column(pg_enum(ProjectRole, "project_role"))
