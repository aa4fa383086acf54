"""The projects domain's service provider (Litestar DI): one ``ProjectService`` per request, made
from the request's tenant-bound session and its caller's organization, for every controller of the
domain. Must never hold anything across requests nor decide anything: the guard has authorized the
request already."""

from __future__ import annotations

from enclave.projects.service import ProjectService
from enclave.web.http import Caller, Session


def provide_project_service(session: Session, principal: Caller) -> ProjectService:
    return ProjectService(session, principal.organization_id)
