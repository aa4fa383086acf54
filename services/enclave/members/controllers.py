"""``/api/v1/members`` and ``/api/v1/me``."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.domain.roles import OrgRole
from enclave.members.schemas import Member, MemberCreate, MemberPage, MemberUpdate
from enclave.members.service import MemberService, to_schema
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller, Cursor, IfMatch, Limit, Session, check_if_match, etag
from enclave.web.responses import problems


class MeController(Controller):
    path = "/me"
    tags = ["members"]  # noqa: RUF012

    @get(operation_id="me_read", responses=problems(), opt=access(Permission.ORG_SELF_READ))
    async def read(self, session: Session, principal: Caller) -> Member:
        membership, user = await MemberService(session, principal.organization_id).get(principal.user_id)
        return to_schema(membership, user)


class MemberController(Controller):
    path = "/members"
    tags = ["members"]  # noqa: RUF012

    @get(operation_id="member_list", responses=problems(), opt=access(Permission.ORG_MEMBER_LIST))
    async def list_members(
        self,
        session: Session,
        principal: Caller,
        cursor: Cursor = None,
        limit: Limit = 50,
        role: FromQuery[OrgRole | None] = None,
    ) -> MemberPage:
        return await MemberService(session, principal.organization_id).list(
            principal.org_role, role, cursor, limit
        )

    @post(
        operation_id="member_create",
        responses=problems(409),
        opt=access(Permission.ORG_MEMBER_CREATE, Target.NEW_MEMBER) | audited(AuditAction.ORG_MEMBER_CREATE),
    )
    async def create(
        self, session: Session, principal: Caller, audit: Audit, data: JSONBody[MemberCreate]
    ) -> Response[Member]:
        member = await MemberService(session, principal.organization_id).create(data)
        audit.note(target=f"user:{member.user_id}", role=str(data.role))
        return Response(member, status_code=201, headers={"ETag": etag(member.version)})

    @get(
        "/{user_id:uuid}",
        operation_id="member_read",
        responses=problems(404),
        opt=access(Permission.ORG_MEMBER_READ, Target.MEMBER),
    )
    async def read(
        self, session: Session, principal: Caller, user_id: FromPath[uuid.UUID]
    ) -> Response[Member]:
        membership, user = await MemberService(session, principal.organization_id).get(user_id)
        return Response(to_schema(membership, user), headers={"ETag": etag(membership.version)})

    @patch(
        "/{user_id:uuid}",
        operation_id="member_update",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.ORG_MEMBER_UPDATE, Target.MEMBER) | audited(AuditAction.ORG_MEMBER_UPDATE),
    )
    async def update(
        self,
        session: Session,
        principal: Caller,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
        if_match: IfMatch,
    ) -> Response[Member]:
        service = MemberService(session, principal.organization_id)
        membership, user = await service.get(user_id)
        check_if_match(if_match, membership.version)
        member = await service.update(membership, user, data)
        return Response(member, headers={"ETag": etag(member.version)})

    @delete(
        "/{user_id:uuid}",
        operation_id="member_remove",
        responses=problems(404, 409),
        opt=access(Permission.ORG_MEMBER_REMOVE, Target.MEMBER) | audited(AuditAction.ORG_MEMBER_REMOVE),
    )
    async def remove(self, session: Session, principal: Caller, user_id: FromPath[uuid.UUID]) -> None:
        service = MemberService(session, principal.organization_id)
        membership, user = await service.get(user_id)
        await service.remove(membership, user)
