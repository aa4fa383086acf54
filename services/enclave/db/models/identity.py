"""Users (one Keycloak identity in one organization), their org role, and their API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin, VersionedMixin
from enclave.domain.roles import OrgRole


def pg_enum(enum_type: type, name: str) -> Enum:
    """A PostgreSQL enum stored by value (``"admin"``), not by Python member name."""
    return Enum(enum_type, name=name, values_callable=lambda members: [m.value for m in members])


class User(TenantMixin, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject"), UniqueConstraint("organization_id", "email"))

    issuer: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)


class OrgMembership(TenantMixin, VersionedMixin, Base):
    __tablename__ = "org_memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[OrgRole] = mapped_column(pg_enum(OrgRole, "org_role"))


class ApiKey(TenantMixin, Base):
    """An API key's row: the secret itself is never stored, only its prefix and a hash."""

    __tablename__ = "api_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[bytes]
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Invite(TenantMixin, Base):
    """A single-use, expiring invitation. Only the hash of its token is stored."""

    __tablename__ = "invites"

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[OrgRole] = mapped_column(pg_enum(OrgRole, "org_role"))
    token_hash: Mapped[bytes] = mapped_column(unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
