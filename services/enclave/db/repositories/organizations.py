"""Organizations: every query on ``organizations`` and on ``organization_directory``. Owns the tenant's
own row (keyed by the tenant's id, so its tenant filter is ``id = organization_id``), read plain, locked
for the changes that must take turns (settings, termination) or locked-if-free for the shredder, and the
writes that make a new organization; and the directory, the one table read before any tenant is bound (a
sign-in's realm, the shredder's round). Must never read or change another organization's row: every
statement on ``organizations`` names the id the repository was made for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import Organization, OrganizationDirectory


@dataclass(frozen=True, slots=True)
class CustomerBucket:
    """The customer's own bucket an organization keeps its objects in (its credentials are named by
    the organization's id, never stored: ``enclave.storage.homes``)."""

    endpoint: str
    bucket: str
    region: str


@dataclass(frozen=True, slots=True)
class OwnKms:
    """Where an organization's key lives, if not (wholly) in the installation's KMS: a Vault-API
    server's address and its transit mount, each None for the installation's."""

    address: str | None
    mount: str | None


class OrganizationRepository:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    def select(self) -> Select[Any]:
        """The organization's own row (its id is the tenant's)."""
        return select(Organization).where(Organization.id == self.organization_id)

    async def get(self, *, for_update: bool = False) -> Organization | None:
        """The row; ``for_update`` when the transaction will change it, so two changes take turns."""
        statement = self.select()
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def slug(self) -> str:
        statement = select(Organization.slug).where(Organization.id == self.organization_id)
        return (await self.session.execute(statement)).scalar_one()

    async def due_for_shredding(self, now: dt.datetime) -> Organization | None:
        """The row if the organization's export window ended by ``now`` and its key still exists,
        locked; ``SKIP LOCKED``: a row another shredder holds is passed over, not waited for."""
        statement = (
            self.select()
            .where(Organization.shred_after <= now, Organization.shredded_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def home(self) -> CustomerBucket | None:
        """The customer's bucket the organization was made with; None: the installation's managed one.
        ``LookupError`` if there is no such organization (or none visible to the bound tenant)."""
        statement = select(
            Organization.storage_endpoint, Organization.storage_bucket, Organization.storage_region
        ).where(Organization.id == self.organization_id)
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            raise LookupError("no such organization")
        endpoint, bucket, region = row
        if endpoint is None or bucket is None or region is None:
            return None
        return CustomerBucket(endpoint, bucket, region)

    async def kms(self) -> OwnKms | None:
        """Where the organization's key lives; None: the installation's KMS and mount.
        ``LookupError`` if there is no such organization (or none visible to the bound tenant)."""
        statement = select(Organization.kms_address, Organization.kms_mount).where(
            Organization.id == self.organization_id
        )
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            raise LookupError("no such organization")
        address, mount = row
        return None if address is None and mount is None else OwnKms(address, mount)

    async def add(
        self,
        *,
        slug: str,
        name: str,
        workforce: bool,
        home: CustomerBucket | None = None,
        kms: OwnKms | None = None,
    ) -> Organization:
        """Inserts the organization, then its directory entry (the new id is the bound tenant). Its
        home is set here, once: it can never change afterwards (migration 0016)."""
        row = Organization(id=self.organization_id, slug=slug, name=name, workforce=workforce, settings={})
        if home is not None:
            row.storage_endpoint = home.endpoint
            row.storage_bucket = home.bucket
            row.storage_region = home.region
        if kms is not None:
            row.kms_address = kms.address
            row.kms_mount = kms.mount
        self.session.add(row)
        await self.session.flush()
        self.session.add(OrganizationDirectory(slug=slug, organization_id=self.organization_id))
        await self.session.flush()
        return row


class DirectoryRepository:
    """The slug → organization map: not a tenant table (no row-level security), read-only here."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def organization_of(self, slug: str) -> uuid.UUID | None:
        statement = select(OrganizationDirectory.organization_id).where(OrganizationDirectory.slug == slug)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def organization_ids(self) -> Sequence[uuid.UUID]:
        """Every organization's id (the shredder's round)."""
        return (await self.session.execute(select(OrganizationDirectory.organization_id))).scalars().all()
