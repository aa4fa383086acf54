"""Terminating an organization, and the crypto-shredding that follows its export window: an org
Admin confirms by repeating the organization's slug; from then on the organization is read-only (its
people may still read and export) until ``shred_after``, the request time plus its ``retention_days``;
then ``shred_due`` destroys its transit key — the ciphertext stays where it is, in PostgreSQL and in
MinIO, and nobody can ever open it again. Must never destroy a key before ``shred_after``, nor build
a query (rows come from ``OrganizationRepository``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.keyring import KeyRing
from enclave.db.models import Organization as OrganizationRow
from enclave.db.repositories.organizations import DirectoryRepository, OrganizationRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import InvalidInput, InvalidState
from enclave.organizations.schemas import OrganizationSettings


@dataclass(frozen=True, slots=True)
class Terminated:
    terminated_at: dt.datetime
    shred_after: dt.datetime


def terminate(row: OrganizationRow, confirm_slug: str, now: dt.datetime) -> Terminated:
    """Marks the organization terminated (the caller holds its row locked for update, and its
    transaction commits it)."""
    if confirm_slug != row.slug:
        raise InvalidInput("To terminate, confirm with the organization's exact slug.")
    if row.terminated_at is not None:
        raise InvalidState("The organization is already terminated.")
    retention = msgspec.convert(row.settings or {}, OrganizationSettings).retention_days
    row.terminated_at = now
    row.shred_after = now + dt.timedelta(days=retention)
    return Terminated(row.terminated_at, row.shred_after)


async def shred_due(
    keyring: KeyRing, sessions: async_sessionmaker[AsyncSession], now: dt.datetime
) -> list[uuid.UUID]:
    """Destroys the key of every terminated organization whose export window has passed; returns
    their ids. Idempotent and safe to run from several processes at once: each organization's row is
    taken ``FOR UPDATE SKIP LOCKED``, so a row another run holds is left to it."""
    async with sessions() as session:
        organization_ids = await DirectoryRepository(session).organization_ids()
    shredded = []
    for organization_id in organization_ids:
        async with sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            if await shred_if_due(keyring, session, organization_id, now):
                shredded.append(organization_id)
    return shredded


async def shred_if_due(
    keyring: KeyRing, session: AsyncSession, organization_id: uuid.UUID, now: dt.datetime
) -> bool:
    """In the caller's transaction, bound to the organization: destroys its key if its export window
    has passed (the row taken ``FOR UPDATE SKIP LOCKED``, so a row another run holds is left to it);
    True when it did."""
    row = await OrganizationRepository(session, organization_id).due_for_shredding(now)
    if row is None:
        return False
    # The key first: should the commit fail, the next run finds the key gone and records it.
    kms = await keyring.keys_for(organization_id)
    await anyio.to_thread.run_sync(kms.destroy, organization_id)
    keyring.forget(organization_id)
    row.shredded_at = now
    return True
