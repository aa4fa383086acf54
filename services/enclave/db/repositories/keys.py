"""An organization's data keys: every statement on ``data_keys``, scoped to the organization.

Owns finding the newest unretired key of a purpose, the wrapped form of the key a stored value
names, recording a new key (flushed, so its id and creation time are known before first use),
retiring the content keys, the keys a rotation must re-wrap, and the organization's data-key lock
(a PostgreSQL advisory lock: shared to make a data key, exclusive to rotate, across api replicas).
Rows hold keys only as their transit key wrapped them; must never store, return or log a
plaintext key, and never delete a row (a lost key makes the data it sealed unreadable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select, update

from enclave.db.models import DataKeyRow
from enclave.db.models.base import new_id
from enclave.db.repositories.base import TenantRepository


class DataKeyRepository(TenantRepository[DataKeyRow]):
    model = DataKeyRow

    async def lock(self, *, exclusive: bool) -> None:
        """Takes the organization's data-key lock for the session's transaction: shared to make a
        data key, exclusive to rotate."""
        digest = hashlib.sha256(b"enclave/data-keys/" + self.organization_id.bytes).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
        await self.session.execute(select(lock(key)))

    async def newest_active(self, purpose: str) -> DataKeyRow | None:
        """The newest key of ``purpose`` that is not retired."""
        statement = self.select().where(DataKeyRow.purpose == purpose, DataKeyRow.retired_at.is_(None))
        found = await self.session.execute(statement.order_by(DataKeyRow.created_at.desc()).limit(1))
        return found.scalar_one_or_none()

    async def only(self, purpose: str) -> DataKeyRow:
        """The organization's one key of ``purpose`` (the index key: there is never a second)."""
        return (await self.session.execute(self.select().where(DataKeyRow.purpose == purpose))).scalar_one()

    async def wrapped(self, key_id: UUID) -> str | None:
        """The wrapped form of the key ``key_id``; None if the organization has no such key."""
        found = await self.session.execute(
            self.scoped(select(DataKeyRow.wrapped)).where(DataKeyRow.id == key_id)
        )
        return found.scalar_one_or_none()

    async def create(self, purpose: str, wrapped: str, key_version: int) -> DataKeyRow:
        """Records a new key, flushed and read back (its creation time is the database's). Raises
        ``IntegrityError`` for a second index key."""
        row = self.add(DataKeyRow(id=new_id(), purpose=purpose, wrapped=wrapped, key_version=key_version))
        await self.session.flush()
        await self.session.refresh(row)
        return row

    async def retire_active(self, purpose: str, now: dt.datetime) -> None:
        """Retires every unretired key of ``purpose``: they still open, but seal nothing new."""
        await self.session.execute(
            update(DataKeyRow)
            .where(
                DataKeyRow.organization_id == self.organization_id,
                DataKeyRow.purpose == purpose,
                DataKeyRow.retired_at.is_(None),
            )
            .values(retired_at=now)
        )

    async def wrapped_before(self, key_version: int) -> Sequence[DataKeyRow]:
        """The keys wrapped under a key version older than ``key_version`` (to re-wrap them)."""
        return await self.list(self.select().where(DataKeyRow.key_version < key_version))

    async def count_by_version(self) -> dict[int, int]:
        """How many keys are wrapped under each key version."""
        found = await self.session.execute(
            self.scoped(select(DataKeyRow.key_version, func.count())).group_by(DataKeyRow.key_version)
        )
        return {int(version): int(count) for version, count in found.all()}
