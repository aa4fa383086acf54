"""``/api/v1/members`` and ``/api/v1/me``; and ending a member's browser sessions (an admin's order,
and part of every removal), which reaches the session store the api keeps in Redis."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.domain.roles import OrgRole
from enclave.identity.sessions import SessionStore
from enclave.members.deps import provide_member_service
from enclave.members.schemas import Member, MemberCreate, MemberPage, MemberSessionsEnded, MemberUpdate
from enclave.members.service import MemberService
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller, Cursor, IfMatch, Limit, Visible, etag
from enclave.web.responses import problems


class MeController(Controller):
    path = "/me"
    tags = ["members"]  # noqa: RUF012
    dependencies = {"member_service": Provide(provide_member_service, sync_to_thread=False)}  # noqa: RUF012

    @get(operation_id="me_read", responses=problems(), opt=access(Permission.ORG_SELF_READ))
    async def read(self, member_service: NamedDependency[MemberService], principal: Caller) -> Member:
        return await member_service.read(principal.user_id)


class MemberController(Controller):
    path = "/members"
    tags = ["members"]  # noqa: RUF012
    dependencies = {"member_service": Provide(provide_member_service, sync_to_thread=False)}  # noqa: RUF012

    # The list shows the members the caller manages (Workforce Managers: Taskers).
    @get(
        operation_id="member_list",
        responses=problems(),
        opt=access(Permission.ORG_MEMBER_LIST, rows=Permission.ORG_MEMBER_UPDATE),
    )
    async def list_members(
        self,
        member_service: NamedDependency[MemberService],
        principal: Caller,
        visibility: Visible,
        cursor: Cursor = None,
        limit: Limit = 50,
        role: FromQuery[OrgRole | None] = None,
    ) -> MemberPage:
        return await member_service.list(principal, visibility, role, cursor, limit)

    @post(
        operation_id="member_create",
        responses=problems(409),
        opt=access(Permission.ORG_MEMBER_CREATE, Target.NEW_MEMBER) | audited(AuditAction.ORG_MEMBER_CREATE),
    )
    async def create(
        self, member_service: NamedDependency[MemberService], audit: Audit, data: JSONBody[MemberCreate]
    ) -> Response[Member]:
        member = await member_service.create(data)
        audit.note(target=f"user:{member.user_id}", role=str(data.role))
        return Response(member, status_code=201, headers={"ETag": etag(member.version)})

    @get(
        "/{user_id:uuid}",
        operation_id="member_read",
        responses=problems(404),
        opt=access(Permission.ORG_MEMBER_READ, Target.MEMBER),
    )
    async def read(
        self, member_service: NamedDependency[MemberService], user_id: FromPath[uuid.UUID]
    ) -> Response[Member]:
        member = await member_service.read(user_id)
        return Response(member, headers={"ETag": etag(member.version)})

    @patch(
        "/{user_id:uuid}",
        operation_id="member_update",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.ORG_MEMBER_UPDATE, Target.MEMBER) | audited(AuditAction.ORG_MEMBER_UPDATE),
    )
    async def update(
        self,
        member_service: NamedDependency[MemberService],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
        if_match: IfMatch,
    ) -> Response[Member]:
        member = await member_service.update(user_id, data, if_match)
        return Response(member, headers={"ETag": etag(member.version)})

    @delete(
        "/{user_id:uuid}",
        operation_id="member_remove",
        responses=problems(404, 409),
        opt=access(Permission.ORG_MEMBER_REMOVE, Target.MEMBER) | audited(AuditAction.ORG_MEMBER_REMOVE),
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        member_service: NamedDependency[MemberService],
        principal: Caller,
        user_id: FromPath[uuid.UUID],
    ) -> None:
        await member_service.remove(user_id)
        # The guard refuses a removed member's sessions already; this also drops them from Redis.
        await _sessions(request).delete_for_user(principal.organization_id, user_id)

    @delete(
        "/{user_id:uuid}/sessions",
        operation_id="member_sessions_end",
        status_code=200,
        responses=problems(404),
        opt=access(Permission.ORG_MEMBER_REMOVE, Target.MEMBER) | audited(AuditAction.AUTH_SESSION_REVOKE),
    )
    async def end_sessions(
        self,
        request: Request[Any, Any, Any],
        member_service: NamedDependency[MemberService],
        principal: Caller,
        audit: Audit,
        user_id: FromPath[uuid.UUID],
    ) -> MemberSessionsEnded:
        """Signs a member out of every browser (a lost laptop, a suspected takeover): their next
        request needs a new sign-in through Keycloak. Their API keys are not touched."""
        await member_service.read(user_id)
        # Ended before the audit record commits: if that commit fails the member has only to sign
        # in again, which is the safe side of this action.
        ended = await _sessions(request).delete_for_user(principal.organization_id, user_id)
        audit.note(target=f"user:{user_id}", ended_by="admin", sessions=ended)
        return MemberSessionsEnded(ended)


def _sessions(request: Request[Any, Any, Any]) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store
