"""Tasks: one per data item per project, moving through the workflow's stages."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, Index, SmallInteger, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin, VersionedMixin
from enclave.db.models.identity import pg_enum
from enclave.domain.roles import TaskStage


class Task(TenantMixin, VersionedMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "data_item_id"),
        # The queue `tasks/next` reads: open tasks of a project and stage, in priority order.
        Index(
            "ix_tasks_queue",
            "project_id",
            "stage",
            text("priority DESC"),
            "created_at",
            postgresql_where=text("removed_at IS NULL"),
        ),
        # Each stage's open tasks in the take's exact order: what the free take walks (migration 0017).
        *(
            Index(
                f"ix_tasks_take_{stage}",
                "project_id",
                text("priority DESC"),
                text("consensus_submissions DESC"),
                "created_at",
                "id",
                postgresql_where=text(f"stage = '{stage}' AND removed_at IS NULL"),
            )
            for stage in ("annotate", "review")
        ),
        # The tasks on an item: the content route's policy check (migration 0010).
        Index("ix_tasks_data_item_id", "data_item_id", postgresql_where=text("removed_at IS NULL")),
    )
    organization_indexed_alone = False  # see TenantMixin

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    data_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_items.id", ondelete="CASCADE"))
    stage: Mapped[TaskStage] = mapped_column(pg_enum(TaskStage, "task_stage"), default=TaskStage.ANNOTATE)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The workflow's state (migration 0013).
    #: The lease of whoever holds the task in its current stage (its assignee while it is annotated,
    #: its reviewer in review); NULL: a manager's assignment, which does not lapse, or nobody.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The size of the task's consensus round, fixed when its first submission began it (NULL: not
    #: in consensus), and how many submissions the round has collected.
    consensus_target: Mapped[int | None] = mapped_column(SmallInteger)
    consensus_submissions: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: The round's agreement score (``enclave.tasks.agreement``).
    agreement: Mapped[float | None]
    #: The version a consensus task settled on (the best-agreeing, or the reviewer's pick or merge);
    #: NULL: the newest version is the task's result.
    #: (No foreign key: see migration 0013.)
    result_version_id: Mapped[uuid.UUID | None]
