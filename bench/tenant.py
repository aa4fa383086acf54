"""A benchmark's own organization and an API key of its admin, made the way an installation makes
them: ``provision_organization`` (as the operator does), then ``ApiKeyService.create`` in a session
bound to that organization (as ``POST /api/v1/api-keys`` does for a signed-in admin).

Must never reuse another organization or print the key: the secret lives only in the returned object.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from tests.support.organizations import new_organization

from enclave.api_keys.schemas import ApiKeyCreate
from enclave.api_keys.service import ApiKeyService
from enclave.authz.principal import Principal
from enclave.authz.scopes import Scope
from enclave.db.engine import create_engine
from enclave.db.session import bind_tenant
from enclave.domain.roles import OrgRole
from enclave.settings import DatabaseSettings, TLSSettings


@dataclass(frozen=True)
class BenchTenant:
    slug: str
    organization_id: uuid.UUID
    admin_id: uuid.UUID
    api_key: str = field(repr=False)

    @property
    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def _provision(slug: str, scopes: list[Scope]) -> BenchTenant:
    made = new_organization(slug, f"Benchmark {slug}", "Benchmark admin", application_name="enclave-bench")
    async with made as (session, done):
        await bind_tenant(session, done.organization_id, done.admin_user_id)
        owner = Principal(done.admin_user_id, done.organization_id, OrgRole.ADMIN)
        created = await ApiKeyService(session, done.organization_id).create(
            owner, ApiKeyCreate(name="benchmark", scopes=scopes)
        )
    return BenchTenant(slug, done.organization_id, done.admin_user_id, created.secret)


async def issue_api_keys(
    organization_id: uuid.UUID, user_ids: list[uuid.UUID], scopes: list[Scope]
) -> list[str]:
    """An API key for each member (as each would make their own, signed in), carrying ``scopes``."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name="enclave-bench")
    secrets = []
    try:
        async with engine.connect() as connection, connection.begin():
            session = AsyncSession(bind=connection)
            for user_id in user_ids:
                await bind_tenant(session, organization_id, user_id)
                owner = Principal(user_id, organization_id, OrgRole.MEMBER)
                created = await ApiKeyService(session, organization_id).create(
                    owner, ApiKeyCreate(name="benchmark", scopes=scopes)
                )
                secrets.append(created.secret)
            await session.flush()
        return secrets
    finally:
        await engine.dispose()


async def provision_tenant(scopes: list[Scope], prefix: str = "bench") -> BenchTenant:
    """As :func:`provision_with_api_key`, from inside an event loop."""
    return await _provision(f"{prefix}-{uuid.uuid4().hex[:10]}", scopes)


def provision_with_api_key(scopes: list[Scope], prefix: str = "bench") -> BenchTenant:
    """A new organization and an API key of its admin carrying ``scopes`` (the stack's environment
    must be loaded, and the database migrated)."""
    return asyncio.run(provision_tenant(scopes, prefix))
