"""The organizations domain's service provider (Litestar DI): one ``OrganizationService`` per
request, made from the request's tenant-bound session, its caller's organization and the app's
Keycloak admin and key rotation, for every controller of the domain. Must never hold anything across
requests nor decide anything: the guard has authorized the request already."""

from __future__ import annotations

from typing import Any

from litestar import Request

from enclave.organizations.service import OrganizationService
from enclave.web.http import Caller, Session


def provide_organization_service(
    session: Session, principal: Caller, request: Request[Any, Any, Any]
) -> OrganizationService:
    state = request.app.state
    return OrganizationService(
        session, principal.organization_id, realms=state.realms, rotation=state.rotation
    )
