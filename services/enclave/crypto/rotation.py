"""Rotating an organization's key: a new transit key version, its data keys re-wrapped under it (no
bulk data is re-encrypted), then the minimum decryption version raised so the old version opens
nothing any more.

Owns the order of those steps, which is what makes rotation safe to interrupt: until every data key is
re-wrapped, the old version still opens the rest; the minimum is raised only after the re-wrapped keys
are committed, so a crash anywhere leaves every ciphertext readable, and running ``finish`` again
completes the job. New content is sealed under fresh data keys from the moment rotation starts. The
organization's data-key lock (``DataKeyRepository.lock``) keeps rotations and new data keys from
crossing. Must never build a query: the rows are the data-key repository's (``db.repositories.keys``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

import anyio.to_thread
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.keyring import CONTENT, KeyRing
from enclave.crypto.kms import wrapped_version
from enclave.db.repositories.keys import DataKeyRepository
from enclave.db.session import bind_tenant

log = structlog.get_logger(__name__)


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
        self._running: set[asyncio.Task[int]] = set()

    async def status(self, organization_id: uuid.UUID) -> KeyStatus:
        kms = await self._keyring.keys_for(organization_id)
        info = await anyio.to_thread.run_sync(kms.key_info, organization_id)
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            counts = await DataKeyRepository(session, organization_id).count_by_version()
        return KeyStatus(int(info["latest_version"]), int(info["min_decryption_version"]), counts)

    async def start(self, organization_id: uuid.UUID, session: AsyncSession) -> int:
        """A new key version; new content gets new data keys from now on. Returns the version.

        Runs in the caller's (tenant-bound) transaction, which commits it with its audit event, and
        holds the organization's data-key lock until then, so no data key wrapped under the old
        version can be created unseen: one made before has committed, one made after gets the new one."""
        keys = DataKeyRepository(session, organization_id)
        await keys.lock(exclusive=True)
        kms = await self._keyring.keys_for(organization_id)
        version = await anyio.to_thread.run_sync(kms.rotate, organization_id)
        await keys.retire_active(CONTENT, dt.datetime.now(dt.UTC))
        self._keyring.forget(organization_id)
        return version

    def finish_in_background(self, organization_id: uuid.UUID) -> None:
        """Runs ``finish`` as a task of its own (not tied to any request); failures are logged, and
        leave every ciphertext readable until a later rotation finishes the job."""
        task = asyncio.create_task(self.finish(organization_id))
        self._running.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[int]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("key_rotation_failed", error=type(task.exception()).__name__)

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()

    async def finish(self, organization_id: uuid.UUID) -> int:
        """Re-wraps every data key under the latest key version, then retires the older versions.
        Returns how many data keys were re-wrapped. Rotations of one organization finish one at a time."""
        kms = await self._keyring.keys_for(organization_id)
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            keys = DataKeyRepository(session, organization_id)
            await keys.lock(exclusive=True)
            info = await anyio.to_thread.run_sync(kms.key_info, organization_id)
            latest = int(info["latest_version"])
            rows = await keys.wrapped_before(latest)
            for row in rows:
                row.wrapped = await anyio.to_thread.run_sync(kms.rewrap, organization_id, row.wrapped)
                row.key_version = wrapped_version(row.wrapped)
        # Committed: every data key now opens under ``latest``. Only then may older versions retire.
        if int(info["min_decryption_version"]) < latest:
            await anyio.to_thread.run_sync(kms.set_min_decryption_version, organization_id, latest)
        self._keyring.forget(organization_id)
        return len(rows)
