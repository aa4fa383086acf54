"""The ontologies domain's service provider (Litestar DI): one ``OntologyService`` per request, made
from the request's tenant-bound session and its caller's organization. Must never hold anything
across requests nor decide anything: the guard has authorized the request already."""

from __future__ import annotations

from enclave.ontologies.service import OntologyService
from enclave.web.http import Caller, Session


def provide_ontology_service(session: Session, principal: Caller) -> OntologyService:
    return OntologyService(session, principal.organization_id)
