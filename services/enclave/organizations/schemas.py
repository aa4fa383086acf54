"""Organization schemas: what clients read and what they may change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec


class OrganizationSettings(msgspec.Struct, forbid_unknown_fields=True):
    mfa_required: bool = False
    #: Days an export stays possible after termination, before the tenant's key is destroyed.
    retention_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 30


class Organization(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    workforce: bool
    settings: OrganizationSettings
    version: int
    created_at: dt.datetime


class OrganizationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    settings: OrganizationSettings | msgspec.UnsetType = msgspec.UNSET
