"""The jobs domain's service provider (Litestar DI): one ``JobService`` per request, from the
request's tenant-bound session, its caller's organization, its content cipher and its organization's objects.
Must never hold anything across requests nor decide anything: the guard has authorized the request."""

from __future__ import annotations

from enclave.jobs.service import JobService
from enclave.web.http import Caller, Cipher, Objects, Session


def provide_job_service(session: Session, principal: Caller, cipher: Cipher, objects: Objects) -> JobService:
    return JobService(session, principal.organization_id, cipher, objects)
