"""Issues, lists and revokes API keys (a request's key is verified by ``enclave.web.api_key_auth``).
Must never store or return a key's secret except in the one response that creates it, nor build a
query (rows come from ``ApiKeyRepository``), nor hand an ORM row to a controller."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.api_keys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from enclave.authz.policy import Visibility
from enclave.authz.principal import Principal
from enclave.authz.scopes import Scope
from enclave.db.models import ApiKey as KeyRow
from enclave.db.models.base import new_id
from enclave.db.repositories.access import AccessRepository
from enclave.db.repositories.api_keys import ApiKeyRepository
from enclave.domain.errors import InvalidInput, NotFound
from enclave.web.key_tokens import new_token

MAX_LIFETIME = dt.timedelta(days=366)


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

    async def list(
        self, caller: Principal, visibility: Visibility, cursor: str | None, limit: int
    ) -> ApiKeyPage:
        """The keys the caller may see (the policy's ``visible``)."""
        result = await self.keys.page_visible(visibility, caller.user_id, cursor, limit)
        return ApiKeyPage([to_schema(row) for row in result.items], result.next_cursor)

    async def revoke(self, key_id: uuid.UUID) -> ApiKey:
        row = await self.keys.get(key_id, for_update=True)
        if row is None:
            raise NotFound("No such API key.")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            await self.session.flush()
        return to_schema(row)
