"""``/api/v1/organization/identity-providers``: an org Admin connects the company IdP (OIDC or SAML)
to the organization's realm through Keycloak identity brokering (``OrganizationService``). Must never
let a provider's security settings (signature validation, PKCE, bindings: Enclave's) be set here, nor
return or log its client secret, which goes to Keycloak only.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, PathParameter

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.organizations.deps import provide_organization_service
from enclave.organizations.schemas import IdentityProvider, IdentityProviderList, IdentityProviderPut
from enclave.organizations.service import OrganizationService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.responses import problems

Alias = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class IdentityProviderController(Controller):
    path = "/organization/identity-providers"
    tags = ["organization"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "organization_service": Provide(provide_organization_service, sync_to_thread=False)
    }

    @get(
        operation_id="identity_provider_list",
        responses=problems(),
        opt=access(Permission.ORG_IDENTITY_PROVIDER_LIST),
    )
    async def list_providers(
        self, organization_service: NamedDependency[OrganizationService]
    ) -> IdentityProviderList:
        return await organization_service.list_identity_providers()

    @put(
        "/{alias:str}",
        operation_id="identity_provider_put",
        responses=problems(409),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_IDENTITY_PROVIDER_PUT),
    )
    async def put_provider(
        self,
        organization_service: NamedDependency[OrganizationService],
        alias: FromPath[Alias],
        data: JSONBody[IdentityProviderPut],
    ) -> IdentityProvider:
        return await organization_service.put_identity_provider(alias, data)

    @delete(
        "/{alias:str}",
        operation_id="identity_provider_delete",
        responses=problems(409),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_IDENTITY_PROVIDER_DELETE),
    )
    async def delete_provider(
        self, organization_service: NamedDependency[OrganizationService], alias: FromPath[Alias]
    ) -> None:
        await organization_service.delete_identity_provider(alias)
