"""Organizations: the tenants."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, IdMixin, VersionedMixin


class Organization(IdMixin, VersionedMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(
            "storage_endpoint IS NULL AND storage_bucket IS NULL AND storage_region IS NULL OR "
            "storage_endpoint IS NOT NULL AND storage_bucket IS NOT NULL AND storage_region IS NOT NULL",
            name="storage_all_or_none",
        ),
    )

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    workforce: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: Termination: asked for at ``terminated_at``; its key is destroyed after ``shred_after``.
    terminated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    shred_after: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    shredded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Its home: the customer's own bucket, set when it is made and never changed (migration 0016);
    #: all null: the installation's managed bucket for it.
    storage_endpoint: Mapped[str | None] = mapped_column(String(512))
    storage_bucket: Mapped[str | None] = mapped_column(String(63))
    storage_region: Mapped[str | None] = mapped_column(String(64))
    #: Where its key lives: the customer's own Vault-API server and transit mount, each null for the
    #: installation's; set when it is made and never changed (migration 0018).
    kms_address: Mapped[str | None] = mapped_column(String(2048))
    kms_mount: Mapped[str | None] = mapped_column(String(128))


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
