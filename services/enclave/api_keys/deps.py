"""The API keys domain's service provider (Litestar DI): one ``ApiKeyService`` per request, made from
the request's tenant-bound session and its caller's organization. Must never hold anything across
requests nor decide anything: the guard has authorized the request already."""

from __future__ import annotations

from enclave.api_keys.service import ApiKeyService
from enclave.web.http import Caller, Session


def provide_api_key_service(session: Session, principal: Caller) -> ApiKeyService:
    return ApiKeyService(session, principal.organization_id)
