"""Organization schemas: what clients read and what they may change (settings, identity providers, the
key, termination). Must never carry a secret back: an identity provider's client secret goes in only."""

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


class IdentityProviderPut(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(pattern=r"^(oidc|saml)$")]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    config: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=64)], Annotated[str, msgspec.Meta(max_length=20_000)]],
        msgspec.Meta(max_length=30),
    ]


class IdentityProvider(msgspec.Struct):
    alias: str
    kind: str
    display_name: str
    #: Give these to the company IdP: where it sends people back (OIDC redirect URI / SAML ACS) and,
    #: for SAML, the service provider's entity id.
    redirect_uri: str
    sp_entity_id: str


class IdentityProviderList(msgspec.Struct):
    items: list[IdentityProvider]


class TerminationRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: The organization's slug, typed again: termination cannot be undone.
    confirm: Annotated[str, msgspec.Meta(min_length=1, max_length=63)]


class Termination(msgspec.Struct):
    terminated_at: dt.datetime
    #: When the organization's key is destroyed, making all of its data unreadable for ever.
    shred_after: dt.datetime


class KeyStatus(msgspec.Struct):
    #: The transit key version new data keys are wrapped under.
    latest_version: int
    #: The oldest version that can still unwrap anything.
    min_decryption_version: int
    #: How many data keys are wrapped under each version (keys are JSON strings of the version).
    data_keys_by_version: dict[str, int]


class KeyRotationStarted(msgspec.Struct):
    #: The new version; data keys are re-wrapped under it in the background, then older versions retire.
    latest_version: int
