"""``/api/v1/organization``: the caller's own organization."""

from __future__ import annotations

from litestar import Controller, Response, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.organizations.deps import provide_organization_service
from enclave.organizations.schemas import Organization, OrganizationUpdate
from enclave.organizations.service import OrganizationService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import IfMatch, etag
from enclave.web.responses import problems


class OrganizationController(Controller):
    path = "/organization"
    tags = ["organization"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "organization_service": Provide(provide_organization_service, sync_to_thread=False)
    }

    @get(operation_id="organization_read", responses=problems(), opt=access(Permission.ORG_ORGANIZATION_READ))
    async def read(
        self, organization_service: NamedDependency[OrganizationService]
    ) -> Response[Organization]:
        organization = await organization_service.read()
        return Response(organization, headers={"ETag": etag(organization.version)})

    @patch(
        operation_id="organization_update",
        responses=problems(409, 412, 428),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_ORGANIZATION_UPDATE),
    )
    async def update(
        self,
        organization_service: NamedDependency[OrganizationService],
        data: JSONBody[OrganizationUpdate],
        if_match: IfMatch,
    ) -> Response[Organization]:
        organization = await organization_service.update(data, if_match)
        return Response(organization, headers={"ETag": etag(organization.version)})
