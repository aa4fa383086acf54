"""``/api/v1/api-keys``: a user's keys. Keys are made and revoked from a session, never by a key."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from enclave.api_keys.deps import provide_api_key_service
from enclave.api_keys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from enclave.api_keys.service import ApiKeyService
from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller, Cursor, Limit, Visible
from enclave.web.responses import problems


class ApiKeyController(Controller):
    path = "/api-keys"
    tags = ["api keys"]  # noqa: RUF012
    dependencies = {"api_key_service": Provide(provide_api_key_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        operation_id="api_key_create",
        responses=problems(409),
        opt=access(Permission.ORG_API_KEY_CREATE) | audited(AuditAction.ORG_API_KEY_ISSUE),
    )
    async def create(
        self,
        api_key_service: NamedDependency[ApiKeyService],
        principal: Caller,
        audit: Audit,
        data: JSONBody[ApiKeyCreate],
    ) -> Response[ApiKeyCreated]:
        created = await api_key_service.create(principal, data)
        audit.note(target=f"api_key:{created.key.id}", scopes=" ".join(sorted(data.scopes)))
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @get(
        operation_id="api_key_list",
        responses=problems(),
        opt=access(Permission.ORG_API_KEY_LIST, rows=Permission.ORG_API_KEY_READ),
    )
    async def list_keys(
        self,
        api_key_service: NamedDependency[ApiKeyService],
        principal: Caller,
        visibility: Visible,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> ApiKeyPage:
        return await api_key_service.list(principal, visibility, cursor, limit)

    @delete(
        "/{key_id:uuid}",
        operation_id="api_key_revoke",
        responses=problems(404, 409),
        opt=access(Permission.ORG_API_KEY_REVOKE, Target.API_KEY) | audited(AuditAction.ORG_API_KEY_REVOKE),
        status_code=200,
    )
    async def revoke(
        self, api_key_service: NamedDependency[ApiKeyService], key_id: FromPath[uuid.UUID]
    ) -> ApiKey:
        return await api_key_service.revoke(key_id)
