"""The members domain's service provider (Litestar DI): one ``MemberService`` per request, made from
the request's tenant-bound session and its caller's organization, for every controller of the domain.
Must never hold anything across requests nor decide anything: the guard has authorized the request
already."""

from __future__ import annotations

from enclave.members.service import MemberService
from enclave.web.http import Caller, Session


def provide_member_service(session: Session, principal: Caller) -> MemberService:
    return MemberService(session, principal.organization_id)
