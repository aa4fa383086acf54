"""Reads and updates the caller's organization (creation belongs to provisioning)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import Organization as OrganizationRow
from enclave.domain.errors import NotFound, Unavailable
from enclave.identity.realms import RealmService
from enclave.organizations.schemas import Organization, OrganizationSettings, OrganizationUpdate


def to_schema(row: OrganizationRow) -> Organization:
    return Organization(
        id=row.id,
        slug=row.slug,
        name=row.name,
        workforce=row.workforce,
        settings=msgspec.convert(row.settings or {}, OrganizationSettings),
        version=row.version,
        created_at=row.created_at,
    )


class OrganizationService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    async def row(self) -> OrganizationRow:
        statement = select(OrganizationRow).where(OrganizationRow.id == self.organization_id)
        row = (await self.session.execute(statement)).scalar_one_or_none()
        if row is None:
            raise NotFound("No such organization.")
        return row

    async def update(
        self, row: OrganizationRow, change: OrganizationUpdate, realms: RealmService | None
    ) -> OrganizationRow:
        if change.name is not msgspec.UNSET:
            row.name = change.name
        if change.settings is not msgspec.UNSET:
            settings: dict[str, Any] = msgspec.to_builtins(change.settings)
            mfa = bool(settings.get("mfa_required"))
            if mfa != bool((row.settings or {}).get("mfa_required")):
                # Keycloak first: if it fails nothing is committed. Should the commit fail after it,
                # both halves fail safe (MFA asked by Keycloak, or still demanded by the api).
                if realms is None:
                    raise Unavailable("Sign-in is not configured, so MFA cannot be changed.")
                await asyncio.to_thread(realms.set_mfa_required, row.slug, mfa)
            row.settings = settings
        await self.session.flush()
        return row
