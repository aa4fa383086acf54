"""``/api/v1/invites`` (issue) and ``/auth/invites/accept`` (accept, before the person has an account)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.invites.deps import provide_invite_service
from enclave.invites.schemas import InviteAccept, InviteAccepted, InviteCreate, InviteCreated
from enclave.invites.service import InviteService, accept_invitation
from enclave.web.audit import audited, request_facts
from enclave.web.guard import Target, access
from enclave.web.http import Caller
from enclave.web.responses import problems


class InviteController(Controller):
    path = "/invites"
    tags = ["members"]  # noqa: RUF012
    dependencies = {"invite_service": Provide(provide_invite_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        operation_id="invite_create",
        responses=problems(409),
        opt=access(Permission.ORG_MEMBER_CREATE, Target.NEW_MEMBER) | audited(AuditAction.ORG_INVITE_CREATE),
    )
    async def create(
        self, invite_service: NamedDependency[InviteService], principal: Caller, data: JSONBody[InviteCreate]
    ) -> Response[InviteCreated]:
        created = await invite_service.create(principal, data)
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})


class InviteAcceptController(Controller):
    """Public by nature: the invitation's token is the credential. Outside the v1 router, so it has no
    request session nor caller to make ``invite_service`` from: ``accept_invitation`` opens the
    transaction of the organization the token names."""

    path = "/auth/invites"
    include_in_schema = False

    @post("/accept", operation_id="invite_accept")
    async def accept(
        self, request: Request[Any, Any, Any], data: JSONBody[InviteAccept]
    ) -> Response[InviteAccepted]:
        state = request.app.state
        accepted = await accept_invitation(
            state.session_factory,
            state.realms,
            state.settings.api.public_url,
            data,
            lambda organization_id, actor: request_facts(request, organization_id, actor, "invite"),
        )
        return Response(accepted, status_code=201)
