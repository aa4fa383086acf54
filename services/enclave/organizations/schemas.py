"""Organization schemas: what clients read and what they may change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from enclave.domain.roles import OrgRole

Domain = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=253,
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
    ),
]


class OrganizationSettings(msgspec.Struct, forbid_unknown_fields=True):
    mfa_required: bool = False
    #: Days an export stays possible after termination, before the tenant's key is destroyed.
    retention_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 30
    #: E-mail domain → the org role of someone from it who signs in for the first time through the
    #: organization's identity provider. Nobody from any other domain gets in without an invite.
    domain_roles: Annotated[dict[Domain, OrgRole], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=dict
    )


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
