"""Invitation schemas. The link's token appears once, in the response that creates the invitation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.domain.roles import OrgRole
from enclave.members.schemas import DisplayName, Email


class InviteCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: OrgRole
    valid_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] = 72


class Invite(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: OrgRole
    expires_at: dt.datetime
    used_at: dt.datetime | None
    created_at: dt.datetime


class InviteCreated(msgspec.Struct):
    invite: Invite
    #: The token to hand to the person invited (e.g. in ``/join?token=...``). Never shown again.
    token: str


class InviteAccept(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
    display_name: DisplayName
    password: Annotated[str, msgspec.Meta(min_length=12, max_length=200)]


class InviteAccepted(msgspec.Struct):
    user_id: uuid.UUID
    #: Where to sign in next.
    login_url: str
