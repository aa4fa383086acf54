"""Data keys: AES-256 keys that seal an organization's content, stored only wrapped by its transit
key (the plaintext never leaves the api's memory). Rotation re-wraps ``wrapped`` in place; no row is
ever deleted, because losing one would make the data it sealed unreadable before its time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin


class DataKeyRow(TenantMixin, Base):
    __tablename__ = "data_keys"

    #: "content" seals values and objects; "index" keys the blind index of item names.
    purpose: Mapped[str] = mapped_column(String(16))
    #: ``vault:vN:...``: the key as transit wrapped it, N being the tenant key version.
    wrapped: Mapped[str] = mapped_column(Text)
    key_version: Mapped[int]
    #: Set when the organization's key rotates: the key still opens, but seals nothing new.
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
