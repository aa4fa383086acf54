"""API key schemas. The secret appears in exactly one response: the one that creates the key."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.authz.scopes import Scope


class ApiKey(msgspec.Struct):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    project_id: uuid.UUID | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_at: dt.datetime


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=len(Scope))]
    project_id: uuid.UUID | None = None
    expires_at: dt.datetime | None = None


class ApiKeyCreated(msgspec.Struct):
    key: ApiKey
    #: The key itself. Store it now: it is never shown again.
    secret: str


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKey]
    next_cursor: str | None
