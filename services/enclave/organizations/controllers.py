"""``/api/v1/organization``: the caller's own organization."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.organizations.schemas import Organization, OrganizationUpdate
from enclave.organizations.service import OrganizationService, to_schema
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Caller, IfMatch, Session, check_if_match, etag
from enclave.web.responses import problems


class OrganizationController(Controller):
    path = "/organization"
    tags = ["organization"]  # noqa: RUF012

    @get(operation_id="organization_read", responses=problems(), opt=access(Permission.ORG_ORGANIZATION_READ))
    async def read(self, session: Session, principal: Caller) -> Response[Organization]:
        row = await OrganizationService(session, principal.organization_id).row()
        return Response(to_schema(row), headers={"ETag": etag(row.version)})

    @patch(
        operation_id="organization_update",
        responses=problems(409, 412, 428),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_ORGANIZATION_UPDATE),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        data: JSONBody[OrganizationUpdate],
        if_match: IfMatch,
    ) -> Response[Organization]:
        service = OrganizationService(session, principal.organization_id)
        row = await service.row()
        check_if_match(if_match, row.version)
        row = await service.update(row, data, request.app.state.realms)
        return Response(to_schema(row), headers={"ETag": etag(row.version)})
