"""Organizations: the tenants."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, IdMixin, VersionedMixin


class Organization(IdMixin, VersionedMixin, Base):
    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    workforce: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: Termination: asked for at ``terminated_at``; its key is destroyed after ``shred_after``.
    terminated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    shred_after: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    shredded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OrganizationDirectory(Base):
    """Which organization a realm (slug) belongs to: the one lookup made before a tenant is known.

    Sign-in arrives with a realm name and API keys name their organization; everything after that
    runs inside the tenant. This table holds nothing but the mapping, so it has no row-level
    security; the api may read it and add to it, never change or delete it.
    """

    __tablename__ = "organization_directory"

    slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
