"""Projects and their members (with a project role)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin, VersionedMixin
from enclave.db.models.identity import pg_enum
from enclave.domain.roles import ProjectRole


class Project(TenantMixin, VersionedMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    ontology_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ontologies.id"))
    review_required: Mapped[bool] = mapped_column(default=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectMember(TenantMixin, VersionedMixin, Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[ProjectRole] = mapped_column(pg_enum(ProjectRole, "project_role"))
