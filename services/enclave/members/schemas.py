"""Member schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.domain.roles import OrgRole

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Member(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: OrgRole
    disabled: bool
    version: int
    created_at: dt.datetime


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    display_name: DisplayName
    role: OrgRole


class MemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: OrgRole | msgspec.UnsetType = msgspec.UNSET
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET


class MemberPage(msgspec.Struct):
    items: list[Member]
    next_cursor: str | None


class MemberSessionsEnded(msgspec.Struct):
    """How many of a member's browser sessions were live when an admin ended them (API keys are
    unaffected: each is revoked on its own, or stops with the member's removal)."""

    ended: int
