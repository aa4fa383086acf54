"""An annotator's draft of a task: work saved but not yet submitted, one per task and author.

Unlike annotation versions a draft is replaced in place (the api role may UPDATE and DELETE it): it
is nobody's record, only the author's unsent work, and it goes when they submit. Its payload is
sealed like a version's, bound to this row; the row's id is derived from the task and the author
(``enclave.db.repositories.drafts.draft_id``), so the seal stays valid when the row is replaced.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, LargeBinary, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin


class AnnotationDraft(TenantMixin, Base):
    __tablename__ = "annotation_drafts"
    __table_args__ = (UniqueConstraint("task_id", "author_id"),)
    organization_indexed_alone = False  # see TenantMixin

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    #: The draft's payload (JSON), sealed: ``enclave.crypto.fields`` bound to this row and column.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
