"""``/api/v1/invites`` (issue) and ``/auth/invites/accept`` (accept, before the person has an account)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.db.session import bind_tenant
from enclave.domain.errors import InvalidInput
from enclave.identity.login import login_url
from enclave.invites.schemas import InviteAccept, InviteAccepted, InviteCreate, InviteCreated
from enclave.invites.service import InviteService, organization_of
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Caller, Session
from enclave.web.responses import problems


class InviteController(Controller):
    path = "/invites"
    tags = ["members"]  # noqa: RUF012

    @post(
        operation_id="invite_create",
        responses=problems(409),
        opt=access(Permission.ORG_MEMBER_CREATE, Target.NEW_MEMBER) | audited(AuditAction.ORG_INVITE_CREATE),
    )
    async def create(
        self, session: Session, principal: Caller, data: JSONBody[InviteCreate]
    ) -> Response[InviteCreated]:
        created = await InviteService(session, principal.organization_id).create(principal, data)
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})


class InviteAcceptController(Controller):
    """Public by nature: the invitation's token is the credential."""

    path = "/auth/invites"
    include_in_schema = False

    @post("/accept", operation_id="invite_accept")
    async def accept(
        self, request: Request[Any, Any, Any], data: JSONBody[InviteAccept]
    ) -> Response[InviteAccepted]:
        org = organization_of(data.token)
        if org is None:
            raise InvalidInput("This invitation is not valid: it is unknown, used or expired.")
        async with request.app.state.session_factory() as db, db.begin():
            await bind_tenant(db, org)
            user_id, realm = await InviteService(db, org).accept(
                data.token, data.display_name, data.password, request.app.state.realms
            )
        public_url = request.app.state.settings.api.public_url
        return Response(InviteAccepted(user_id, login_url(public_url, realm)), status_code=201)
