"""``/api/v1/organization/identity-providers``: an org Admin connects the company IdP (OIDC or SAML)
to the organization's realm through Keycloak identity brokering.

The security settings of a provider (signature validation, PKCE, bindings) are Enclave's and cannot be
set here; the client secret goes to Keycloak and is never returned or logged.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, put
from litestar.params import FromPath, JSONBody, PathParameter

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.domain.errors import Unavailable
from enclave.identity.realms import IdentityProviderSpec, RealmService
from enclave.organizations.service import OrganizationService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Caller, Session
from enclave.web.responses import problems

Alias = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class IdentityProviderPut(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(pattern=r"^(oidc|saml)$")]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    config: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=64)], Annotated[str, msgspec.Meta(max_length=20_000)]],
        msgspec.Meta(max_length=30),
    ]


class IdentityProvider(msgspec.Struct):
    alias: str
    kind: str
    display_name: str
    #: Give these to the company IdP: where it sends people back (OIDC redirect URI / SAML ACS) and,
    #: for SAML, the service provider's entity id.
    redirect_uri: str
    sp_entity_id: str


def _realms(request: Request[Any, Any, Any]) -> RealmService:
    realms: RealmService | None = request.app.state.realms
    if realms is None:
        raise Unavailable("Sign-in is not configured, so identity providers cannot be managed.")
    return realms


class IdentityProviderController(Controller):
    path = "/organization/identity-providers"
    tags = ["organization"]  # noqa: RUF012

    @put(
        "/{alias:str}",
        operation_id="identity_provider_put",
        responses=problems(409),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_IDENTITY_PROVIDER_PUT),
    )
    async def put_provider(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        alias: FromPath[Alias],
        data: JSONBody[IdentityProviderPut],
    ) -> IdentityProvider:
        realms = _realms(request)
        slug = (await OrganizationService(session, principal.organization_id).row()).slug
        spec = IdentityProviderSpec(alias, data.kind, data.display_name, dict(data.config))  # type: ignore[arg-type]
        await asyncio.to_thread(realms.ensure_identity_provider, slug, spec)
        return IdentityProvider(
            alias, data.kind, data.display_name, realms.broker_endpoint(slug, alias), realms.issuer(slug)
        )

    @delete(
        "/{alias:str}",
        operation_id="identity_provider_delete",
        responses=problems(409),
        opt=access(Permission.ORG_ORGANIZATION_UPDATE) | audited(AuditAction.ORG_IDENTITY_PROVIDER_DELETE),
    )
    async def delete_provider(
        self, request: Request[Any, Any, Any], session: Session, principal: Caller, alias: FromPath[Alias]
    ) -> None:
        realms = _realms(request)
        slug = (await OrganizationService(session, principal.organization_id).row()).slug
        await asyncio.to_thread(realms.delete_identity_provider, slug, alias)
