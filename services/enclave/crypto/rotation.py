"""Rotating an organization's key: a new transit key version, its data keys re-wrapped under it (no
bulk data is re-encrypted), then the minimum decryption version raised so the old version opens
nothing any more.

Owns the order of those steps, which is what makes rotation safe to interrupt: until every data key is
re-wrapped, the old version still opens the rest; the minimum is raised only after the last one, so a
crash anywhere leaves every ciphertext readable, and running ``finish`` again completes the job.
New content is sealed under fresh data keys from the moment rotation starts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.keyring import CONTENT, KeyRing
from enclave.crypto.kms import wrapped_version
from enclave.db.models import DataKeyRow
from enclave.db.session import bind_tenant

#: Data keys re-wrapped per transaction: a crash loses at most this much progress.
_BATCH = 100


@dataclass(frozen=True, slots=True)
class KeyStatus:
    latest_version: int
    min_decryption_version: int
    #: Data keys by the key version they are wrapped under.
    data_keys_by_version: dict[int, int]


class KeyRotation:
    def __init__(self, keyring: KeyRing, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._keyring = keyring
        self._sessions = sessions

    async def status(self, organization_id: uuid.UUID) -> KeyStatus:
        info = await anyio.to_thread.run_sync(self._keyring.kms.key_info, organization_id)
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            rows = await session.execute(
                select(DataKeyRow.key_version, func.count())
                .where(DataKeyRow.organization_id == organization_id)
                .group_by(DataKeyRow.key_version)
            )
            counts = {int(version): int(count) for version, count in rows.all()}
        return KeyStatus(int(info["latest_version"]), int(info["min_decryption_version"]), counts)

    async def start(self, organization_id: uuid.UUID) -> int:
        """A new key version; new content gets new data keys from now on. Returns the version."""
        version = await anyio.to_thread.run_sync(self._keyring.kms.rotate, organization_id)
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            await session.execute(
                update(DataKeyRow)
                .where(
                    DataKeyRow.organization_id == organization_id,
                    DataKeyRow.purpose == CONTENT,
                    DataKeyRow.retired_at.is_(None),
                )
                .values(retired_at=dt.datetime.now(dt.UTC))
            )
        self._keyring.forget(organization_id)
        return version

    async def finish(self, organization_id: uuid.UUID, version: int) -> int:
        """Re-wraps every data key still under an older version, then retires the older versions.
        Returns how many data keys were re-wrapped."""
        rewrapped = 0
        while True:
            async with self._sessions() as session, session.begin():
                await bind_tenant(session, organization_id)
                rows = (
                    (
                        await session.execute(
                            select(DataKeyRow)
                            .where(
                                DataKeyRow.organization_id == organization_id,
                                DataKeyRow.key_version < version,
                            )
                            .limit(_BATCH)
                            .with_for_update(skip_locked=True)
                        )
                    )
                    .scalars()
                    .all()
                )
                for row in rows:
                    row.wrapped = await anyio.to_thread.run_sync(
                        self._keyring.kms.rewrap, organization_id, row.wrapped
                    )
                    row.key_version = wrapped_version(row.wrapped)
                rewrapped += len(rows)
            if len(rows) < _BATCH:
                break
        await anyio.to_thread.run_sync(self._keyring.kms.set_min_decryption_version, organization_id, version)
        self._keyring.forget(organization_id)
        return rewrapped
