"""The tasks domain's service providers (Litestar DI): one ``TaskService`` or ``DraftService`` per
request, made from the request's tenant-bound session, its caller's organization and its content
cipher. Must never hold anything across requests nor decide anything: the guard has authorized the
request already."""

from __future__ import annotations

from enclave.tasks.drafts import DraftService
from enclave.tasks.service import TaskService
from enclave.web.http import Caller, Cipher, Session


def provide_task_service(session: Session, principal: Caller, cipher: Cipher) -> TaskService:
    return TaskService(session, principal.organization_id, cipher)


def provide_draft_service(session: Session, principal: Caller, cipher: Cipher) -> DraftService:
    return DraftService(session, principal.organization_id, cipher)
