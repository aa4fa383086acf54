"""Issues, lists, revokes and verifies API keys."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.api_keys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from enclave.api_keys.tokens import KeyToken, new_token
from enclave.authz.principal import Principal
from enclave.authz.scopes import Scope
from enclave.db.models import ApiKey as KeyRow
from enclave.db.models.base import new_id
from enclave.db.raw import fetch_row
from enclave.db.repositories.access import AccessRepository
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import page
from enclave.domain.errors import InvalidInput, NotFound
from enclave.domain.roles import OrgRole

MAX_LIFETIME = dt.timedelta(days=366)
#: last_used_at is refreshed at most this often, so a busy key does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    key_id: uuid.UUID
    user_id: uuid.UUID
    scopes: frozenset[str]
    project_id: uuid.UUID | None


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


class ApiKeyRepository(TenantRepository[KeyRow]):
    model = KeyRow

    async def by_prefix(self, prefix: str) -> StoredKey | None:
        row = await fetch_row(self.session, _BY_PREFIX, prefix, self.organization_id)
        return None if row is None else StoredKey(*row)


#: Every API-key request runs it (``db.raw``).
_BY_PREFIX = """
SELECT id, user_id, secret_hash, scopes, project_id, expires_at, revoked_at, last_used_at
FROM api_keys WHERE prefix = $1 AND organization_id = $2
"""


def to_schema(row: KeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        scopes=[Scope(s) for s in row.scopes],
        project_id=row.project_id,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        created_at=row.created_at,
    )


class ApiKeyService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id
        self.keys = ApiKeyRepository(session, organization_id)

    async def create(self, owner: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
        now = dt.datetime.now(dt.UTC)
        if data.expires_at is not None:
            if data.expires_at.tzinfo is None:
                raise InvalidInput("expires_at needs a time zone.")
            if not now < data.expires_at <= now + MAX_LIFETIME:
                raise InvalidInput("expires_at must be in the future and within a year.")
        if data.project_id is not None and not await AccessRepository(
            self.session, self.organization_id
        ).project_exists(data.project_id):
            raise InvalidInput("The project does not exist in this organization.")
        token = new_token(self.organization_id)
        row = self.keys.add(
            KeyRow(
                id=new_id(),
                user_id=owner.user_id,
                name=data.name,
                prefix=token.prefix,
                secret_hash=token.digest,
                scopes=sorted({scope.value for scope in data.scopes}),
                project_id=data.project_id,
                expires_at=data.expires_at,
            )
        )
        await self.session.flush()
        return ApiKeyCreated(to_schema(row), token.value)

    async def list(self, caller: Principal, cursor: str | None, limit: int) -> ApiKeyPage:
        statement = self.keys.select()
        if caller.org_role is not OrgRole.ADMIN:  # admins see every key of the organization
            statement = statement.where(KeyRow.user_id == caller.user_id)
        result = await page(self.session, statement, KeyRow, cursor, limit)
        return ApiKeyPage([to_schema(row) for row in result.items], result.next_cursor)

    async def revoke(self, key_id: uuid.UUID) -> ApiKey:
        row = await self.keys.get(key_id, for_update=True)
        if row is None:
            raise NotFound("No such API key.")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            await self.session.flush()
        return to_schema(row)

    async def owner_of(self, key_id: uuid.UUID) -> uuid.UUID | None:
        row = await self.keys.get(key_id)
        return None if row is None else row.user_id

    async def verify(self, token: KeyToken) -> VerifiedKey | None:
        """The key behind ``token`` if it exists, matches, is not revoked and has not expired."""
        row = await self.keys.by_prefix(token.prefix)
        now = dt.datetime.now(dt.UTC)
        if row is None or not token.matches(row.secret_hash) or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
            # Only when due: a key in steady use costs no write per request.
            await self.session.execute(
                update(KeyRow)
                .where(
                    KeyRow.id == row.id,
                    KeyRow.organization_id == self.organization_id,
                    or_(KeyRow.last_used_at.is_(None), KeyRow.last_used_at < now - LAST_USED_RESOLUTION),
                )
                .values(last_used_at=now)
            )
        return VerifiedKey(row.id, row.user_id, frozenset(row.scopes), row.project_id)
