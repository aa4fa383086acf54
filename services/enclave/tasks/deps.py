"""The tasks domain's service provider (Litestar DI): one ``TaskService`` per request, made from the
request's tenant-bound session, its caller's organization and its content cipher, for every
controller of the domain. Must never hold anything across requests nor decide anything: the guard
has authorized the request already."""

from __future__ import annotations

from enclave.tasks.service import TaskService
from enclave.web.http import Caller, Cipher, Session


def provide_task_service(session: Session, principal: Caller, cipher: Cipher) -> TaskService:
    return TaskService(session, principal.organization_id, cipher)
