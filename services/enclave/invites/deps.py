"""The invites domain's service provider (Litestar DI): one ``InviteService`` per request, made from
the request's tenant-bound session and its caller's organization. Must never hold anything across
requests nor decide anything: the guard has authorized the request already."""

from __future__ import annotations

from enclave.invites.service import InviteService
from enclave.web.http import Caller, Session


def provide_invite_service(session: Session, principal: Caller) -> InviteService:
    return InviteService(session, principal.organization_id)
