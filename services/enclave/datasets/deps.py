"""The datasets domain's service provider (Litestar DI): one ``DatasetService`` per request, made
from the request's tenant-bound session, its caller's organization, its content cipher and its
organization's objects, for every controller of the domain. Must never hold anything across requests
nor decide anything: the guard has authorized the request already."""

from __future__ import annotations

from enclave.datasets.service import DatasetService
from enclave.web.http import Caller, Cipher, Objects, Session


def provide_dataset_service(
    session: Session, principal: Caller, cipher: Cipher, objects: Objects
) -> DatasetService:
    return DatasetService(session, principal.organization_id, cipher, objects)
