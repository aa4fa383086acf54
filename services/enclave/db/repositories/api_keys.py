"""API keys: every query on ``api_keys``, scoped to the caller's organization. Owns the lookup a
request's key verification runs (by prefix, as asyncpg's own prepared statement, reading with the key
the facts the guard needs of its owner, so a key's request reads both in one round trip), the
throttled refresh of ``last_used_at``, and the rows the api-keys service issues, lists and revokes.
Must never return or log a key's secret: only its SHA-256 is stored, and only that is read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select, update

from enclave.authz.policy import Visibility
from enclave.db.models import ApiKey
from enclave.db.raw import fetch_row
from enclave.db.repositories.access import CALLER_COLUMNS, CallerFacts, caller_facts
from enclave.db.repositories.base import TenantRepository, visibility_filter
from enclave.db.repositories.pages import Page, page


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
    #: The owner's identity in Keycloak (None until they first signed in there).
    owner_issuer: str | None
    owner_subject: str | None
    #: The owner as the guard's caller (None: their account is disabled, so not an active member).
    owner: CallerFacts | None


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def by_prefix(self, prefix: str, *, lock: bool = False) -> StoredKey | None:
        """The key with ``prefix`` and its owner's facts as a caller; with ``lock``, the key's row,
        the owner's membership and account and the organization are locked for share (a revocation,
        a role change, a removal or a termination waits for the request)."""
        row = await fetch_row(
            self.session, _BY_PREFIX_LOCKED if lock else _BY_PREFIX, prefix, self.organization_id
        )
        if row is None:
            return None
        owner = None if row[14] else caller_facts(*row[10:14])
        key, user, secret, scopes, project, expires, revoked, used, issuer, subject = row[:10]
        return StoredKey(key, user, secret, scopes, project, expires, revoked, used, issuer, subject, owner)

    async def touch(self, key_id: uuid.UUID, now: dt.datetime, resolution: dt.timedelta) -> None:
        """Sets ``last_used_at`` to ``now`` unless it is already within ``resolution`` of it, or
        another request holds the key's row: the refresh never waits, so two requests with one key
        that both lock it for share can never deadlock over it."""
        unlocked = (
            select(ApiKey.id)
            .where(
                ApiKey.id == key_id,
                ApiKey.organization_id == self.organization_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - resolution),
            )
            .with_for_update(skip_locked=True, key_share=True)
        )
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.id.in_(unlocked.scalar_subquery()), ApiKey.organization_id == self.organization_id)
            .values(last_used_at=now)
        )

    def visible_to(self, visibility: Visibility, user_id: uuid.UUID) -> Select[Any]:
        """The keys ``visibility`` shows ``user_id``: all of the organization's, or their own."""
        return self.select().where(visibility_filter(visibility, {"own": ApiKey.user_id == user_id}))

    async def page_visible(
        self, visibility: Visibility, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[ApiKey]:
        """A page of the keys ``visibility`` shows ``user_id``."""
        return await page(self.session, self.visible_to(visibility, user_id), ApiKey, cursor, limit)

    async def owner_of(self, key_id: uuid.UUID, *, for_update: bool = False) -> uuid.UUID | None:
        row = await self.get(key_id, for_update=for_update)
        return None if row is None else row.user_id


#: Every API-key request runs it (``db.raw``): the key, then its owner as a caller (the columns
#: ``access._CALLER`` reads), and whether the owner's account is disabled.
_BY_PREFIX = f"""
SELECT k.id, k.user_id, k.secret_hash, k.scopes, k.project_id, k.expires_at, k.revoked_at,
       k.last_used_at, u.issuer, u.subject, {CALLER_COLUMNS}, u.disabled
FROM api_keys k
JOIN users u ON u.id = k.user_id AND u.organization_id = k.organization_id
JOIN org_memberships m ON m.user_id = k.user_id AND m.organization_id = k.organization_id
JOIN organizations o ON o.id = k.organization_id
WHERE k.prefix = $1 AND k.organization_id = $2
"""  # noqa: S608  # nosec B608 — constants of the repositories, no input
#: The key's row and, as ``access._CALLER_LOCKED`` holds them, the owner's membership, account and
#: organization.
_BY_PREFIX_LOCKED = _BY_PREFIX + "FOR SHARE OF k, m, u, o\n"
