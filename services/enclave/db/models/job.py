"""Background jobs (exports and imports): what a worker takes, its progress, and what it made.

A job belongs to one organization and one project. A worker takes one through ``enclave_claim_job``
(migration 0012) and holds it with a lease it renews; a lease that runs out (the worker died) lets
another worker take the job again from the start, as a new attempt. The artifact of an attempt is
recorded only once it is stored whole, so a job never points at a partial one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin
from enclave.db.models.identity import pg_enum
from enclave.domain.jobs import JobFailure, JobKind, JobState


class Job(TenantMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # What a worker looks for: jobs not finished, oldest first.
        Index("ix_jobs_claimable", "created_at", postgresql_where=text("state IN ('queued', 'running')")),
        CheckConstraint(f"failure IN ({', '.join(repr(f.value) for f in JobFailure)})", name="failure"),
    )
    organization_indexed_alone = False  # see TenantMixin

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[JobKind] = mapped_column(pg_enum(JobKind, "job_kind"))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    #: What to do (an export's format and filter; an import's source), as the request gave it.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[JobState] = mapped_column(pg_enum(JobState, "job_state"), default=JobState.QUEUED)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    #: Attempts started (a worker that died leaves its attempt unfinished; the next one starts over).
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    progress_done: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_total: Mapped[int | None] = mapped_column(BigInteger)
    #: Why it did not succeed; for ``INVALID`` the words are in ``failure_detail``, sealed with the
    #: organization's key and bound to this row (they can quote an item's name or a label).
    failure: Mapped[JobFailure | None] = mapped_column(String(20))
    failure_detail: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The input an import reads (an encrypted object in the organization's bucket), if any.
    input_key: Mapped[str | None] = mapped_column(String(200))
    input_header: Mapped[bytes | None] = mapped_column(LargeBinary)
    input_size: Mapped[int | None] = mapped_column(BigInteger)
    #: The artifact an export made: its object, the object's header, its plaintext size and type.
    artifact_key: Mapped[str | None] = mapped_column(String(200))
    artifact_header: Mapped[bytes | None] = mapped_column(LargeBinary)
    artifact_size: Mapped[int | None] = mapped_column(BigInteger)
    artifact_type: Mapped[str | None] = mapped_column(String(100))
    artifact_name: Mapped[str | None] = mapped_column(String(200))
    #: What an import made (counts by kind), for its report.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
