"""API keys: every query on ``api_keys``, scoped to the caller's organization.

Owns the lookup a request's key verification runs (by prefix, as asyncpg's own prepared statement),
the throttled refresh of ``last_used_at``, and the rows the api-keys service lists and revokes.
Must never return or log a key's secret: only its SHA-256 is stored, and only that is read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, update

from enclave.db.models import ApiKey
from enclave.db.raw import fetch_row
from enclave.db.repositories.base import TenantRepository


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What verifying a key needs of its row."""

    id: uuid.UUID
    user_id: uuid.UUID
    secret_hash: bytes
    scopes: list[str]
    project_id: uuid.UUID | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def by_prefix(self, prefix: str) -> StoredKey | None:
        row = await fetch_row(self.session, _BY_PREFIX, prefix, self.organization_id)
        return None if row is None else StoredKey(*row)

    async def touch(self, key_id: uuid.UUID, now: dt.datetime, resolution: dt.timedelta) -> None:
        """Sets ``last_used_at`` to ``now`` unless it is already within ``resolution`` of it."""
        await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                ApiKey.organization_id == self.organization_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - resolution),
            )
            .values(last_used_at=now)
        )

    def listing(self, owner_id: uuid.UUID | None) -> Select[Any]:
        """The organization's keys (``owner_id`` None) or one member's, for a page."""
        statement = self.select()
        return statement if owner_id is None else statement.where(ApiKey.user_id == owner_id)

    async def owner_of(self, key_id: uuid.UUID) -> uuid.UUID | None:
        row = await self.get(key_id)
        return None if row is None else row.user_id


#: Every API-key request runs it (``db.raw``).
_BY_PREFIX = """
SELECT id, user_id, secret_hash, scopes, project_id, expires_at, revoked_at, last_used_at
FROM api_keys WHERE prefix = $1 AND organization_id = $2
"""
