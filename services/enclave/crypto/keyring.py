"""Which data key seals what: an organization's data keys, kept wrapped in ``data_keys`` and opened
through its transit key on demand.

Owns choosing the key that seals new content (the newest unretired ``content`` key, replaced once it
is ``max_age_s`` old or its organization's key has rotated), the one ``index`` key of an organization
(for blind indexes; it never changes, only its wrapping does), and finding the key that opens a
stored value by the id it names. New data keys are committed in a transaction of their own before
anything is sealed with them, so no ciphertext can ever name a key that was rolled back.

Must never hand out a key without Vault's current word on its organization (``TenantKeys.cached``
answers from memory only within the check interval), never store or log a plaintext key, and never
build a query: the rows are the data-key repository's (``db.repositories.keys``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.kms import KeyUnusable, TenantKeys
from enclave.crypto.segmented import DecryptionFailed
from enclave.crypto.tenant_kms import TenantKms
from enclave.db.models import DataKeyRow
from enclave.db.repositories.keys import DataKeyRepository
from enclave.db.session import bind_tenant

CONTENT = "content"
INDEX = "index"

#: How long this process trusts its idea of an organization's active key before reading it again
#: (another replica may have rotated it).
_ACTIVE_REFRESH_S = 30.0


@dataclass(frozen=True, slots=True)
class SealingKey:
    """A data key ready to seal with: its id (named in every ciphertext) and plaintext (memory only)."""

    key_id: str
    key_version: int
    plaintext: bytes

    def __repr__(self) -> str:
        return f"SealingKey(key_id={self.key_id}, key_version={self.key_version})"


@dataclass(frozen=True, slots=True)
class _Known:
    row_id: uuid.UUID
    wrapped: str
    key_version: int
    created_at: float  # wall-clock seconds of the row's creation
    seen_at: float  # monotonic seconds when this process read it


class KeyRing:
    """Data keys of every organization this process serves. Safe to share between requests."""

    def __init__(
        self, kms: TenantKms | TenantKeys, sessions: async_sessionmaker[AsyncSession], *, max_age_s: float
    ) -> None:
        #: Which KMS holds each organization's key (a bare ``TenantKeys``: every one's, in that one).
        self.kms = kms if isinstance(kms, TenantKms) else TenantKms(kms)
        self._sessions = sessions
        self._max_age_s = max_age_s
        self._active: dict[tuple[uuid.UUID, str], _Known] = {}
        self._wrapped: dict[uuid.UUID, str] = {}  # data key id → wrapped form (never the plaintext)

    # --- sealing -------------------------------------------------------------------------------

    async def sealing_key(self, organization_id: uuid.UUID) -> SealingKey:
        """The key new content of this organization is sealed with."""
        known, plaintext = await self._current_opened(organization_id, CONTENT)
        return SealingKey(known.row_id.hex, known.key_version, plaintext)

    async def index_key(self, organization_id: uuid.UUID) -> bytes:
        """The organization's blind-index key (the same for ever; rotation only re-wraps it)."""
        return (await self._current_opened(organization_id, INDEX))[1]

    async def _current_opened(self, organization_id: uuid.UUID, purpose: str) -> tuple[_Known, bytes]:
        known = await self._current(organization_id, purpose)
        try:
            return known, await self._unwrap(organization_id, known.wrapped)
        except KeyUnusable:
            # Re-wrapped by a rotation (perhaps another process's) since this process read it: read again.
            self._active.pop((organization_id, purpose), None)
            known = await self._current(organization_id, purpose)
            return known, await self._unwrap(organization_id, known.wrapped)

    # --- opening -------------------------------------------------------------------------------

    async def opening_key(self, session: AsyncSession, organization_id: uuid.UUID, key_id: str) -> bytes:
        """The key a stored value names. ``session`` must be bound to ``organization_id``: another
        tenant's key id is simply not found, and the value does not open."""
        try:
            row_id = uuid.UUID(hex=key_id)
        except ValueError:
            raise DecryptionFailed("the stored value names a malformed data key id") from None
        wrapped = self._wrapped.get(row_id) or await self._read_wrapped(session, organization_id, row_id)
        try:
            return await self._unwrap(organization_id, wrapped)
        except KeyUnusable:
            # Perhaps re-wrapped since this process read it, and the old version retired: read again.
            fresh = await self._read_wrapped(session, organization_id, row_id)
            if fresh == wrapped:
                raise
            return await self._unwrap(organization_id, fresh)

    async def _read_wrapped(
        self, session: AsyncSession, organization_id: uuid.UUID, row_id: uuid.UUID
    ) -> str:
        wrapped = await DataKeyRepository(session, organization_id).wrapped(row_id)
        if wrapped is None:
            raise DecryptionFailed("the stored value names a data key this organization does not have")
        self._wrapped[row_id] = wrapped
        return wrapped

    # --- rotation support ------------------------------------------------------------------------

    def forget(self, organization_id: uuid.UUID) -> None:
        """Drops what this process remembers of an organization's keys (after rotation or shredding)."""
        for entry in [k for k in self._active if k[0] == organization_id]:
            del self._active[entry]
        keys = self.kms.known(organization_id)
        if keys is not None:
            keys.cache.forget(organization_id)

    async def keys_for(self, organization_id: uuid.UUID) -> TenantKeys:
        """The organization's key's KMS (resolved once, then remembered)."""
        return await self.kms.keys_for(organization_id)

    # --- internals -----------------------------------------------------------------------------

    async def _unwrap(self, organization_id: uuid.UUID, wrapped: str) -> bytes:
        keys = await self.kms.keys_for(organization_id)
        cached = keys.cached(organization_id, wrapped)
        if cached is not None:
            return cached
        return await anyio.to_thread.run_sync(keys.unwrap, organization_id, wrapped)

    async def _current(self, organization_id: uuid.UUID, purpose: str) -> _Known:
        known = self._active.get((organization_id, purpose))
        now = time.monotonic()
        if (
            known is not None
            and now - known.seen_at < _ACTIVE_REFRESH_S
            and not self._too_old(known, purpose)
        ):
            return known
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            row = await DataKeyRepository(session, organization_id).newest_active(purpose)
        known = self._remember(row) if row is not None else None
        if known is None or self._too_old(known, purpose):
            known = await self._create(organization_id, purpose)
        self._active[(organization_id, purpose)] = known
        return known

    def _too_old(self, known: _Known, purpose: str) -> bool:
        return purpose == CONTENT and time.time() - known.created_at > self._max_age_s

    def _remember(self, row: DataKeyRow) -> _Known:
        self._wrapped[row.id] = row.wrapped
        return _Known(row.id, row.wrapped, row.key_version, row.created_at.timestamp(), time.monotonic())

    async def _create(self, organization_id: uuid.UUID, purpose: str) -> _Known:
        """A new data key from transit, committed before first use. Made under the organization's
        data-key lock (shared), so a rotation cannot start between making the key and recording it."""
        try:
            async with self._sessions() as session, session.begin():
                await bind_tenant(session, organization_id)
                keys = DataKeyRepository(session, organization_id)
                await keys.lock(exclusive=False)
                kms = await self.kms.keys_for(organization_id)
                data_key = await anyio.to_thread.run_sync(kms.new_data_key, organization_id)
                row = await keys.create(purpose, data_key.wrapped, data_key.key_version)
        except IntegrityError:
            if purpose != INDEX:
                raise
            # Another request made the organization's index key first: use that one.
            async with self._sessions() as session, session.begin():
                await bind_tenant(session, organization_id)
                row = await DataKeyRepository(session, organization_id).only(INDEX)
        return self._remember(row)
