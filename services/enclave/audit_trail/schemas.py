"""What org Admins read of their trail."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class AuditEventView(msgspec.Struct):
    seq: int
    event_id: uuid.UUID
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str
    outcome: str
    source: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditEventPage(msgspec.Struct):
    items: list[AuditEventView]
    next_cursor: str | None


class Verification(msgspec.Struct):
    ok: bool
    records: int
    signed_checkpoints: int
    #: The last record a verified checkpoint signature vouches for.
    covered_through: int
    #: Segments of the locked copy (Object Lock, compliance mode) the chain was compared with.
    locked_segments: int
    problem: str | None
    first_bad_record: int | None
    #: The search columns were held to the hashed content by the database's own guard (a CHECK
    #: constraint found intact); false: they were compared with it record by record.
    search_columns_guarded: bool
