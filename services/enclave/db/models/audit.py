"""The audit outbox (written by the api with each change, and by the audit service with the events it
pulls from elsewhere), the chained log and checkpoints (written by the audit service only), and how far
each outside source has been pulled. No foreign keys: the trail outlives anything it speaks of."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base


class AuditOutboxRow(Base):
    __tablename__ = "audit_outbox"
    # The api may only INSERT here: no RETURNING of the generated id (that would need SELECT).
    __table_args__ = {"implicit_returning": False}  # noqa: RUF012

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    organization_id: Mapped[uuid.UUID]
    event: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    head_hash: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(Text)
    key_version: Mapped[int]


class AuditSourceRow(Base):
    """How far the audit service has pulled one outside source of events (an organization's Keycloak
    realm): updated in the same transaction as the outbox rows it covers."""

    __tablename__ = "audit_sources"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: ``keycloak/<realm>``.
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The time (epoch milliseconds, the source's clock) of the latest event pulled.
    cursor_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
