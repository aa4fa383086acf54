"""``/api/v1/ontologies``."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.ontologies.deps import provide_ontology_service
from enclave.ontologies.schemas import (
    Ontology,
    OntologyCreate,
    OntologyPage,
    OntologyVersion,
    OntologyVersionCreate,
    OntologyVersionList,
)
from enclave.ontologies.service import OntologyService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Audit, Caller, Cursor, Limit
from enclave.web.responses import problems


class OntologyController(Controller):
    path = "/ontologies"
    tags = ["ontologies"]  # noqa: RUF012
    dependencies = {"ontology_service": Provide(provide_ontology_service, sync_to_thread=False)}  # noqa: RUF012

    @get(operation_id="ontology_list", responses=problems(), opt=access(Permission.ORG_ONTOLOGY_READ))
    async def list_ontologies(
        self, ontology_service: NamedDependency[OntologyService], cursor: Cursor = None, limit: Limit = 50
    ) -> OntologyPage:
        return await ontology_service.list(cursor, limit)

    @post(
        operation_id="ontology_create",
        responses=problems(409),
        opt=access(Permission.ORG_ONTOLOGY_CREATE) | audited(AuditAction.ORG_ONTOLOGY_CREATE),
    )
    async def create(
        self,
        ontology_service: NamedDependency[OntologyService],
        principal: Caller,
        audit: Audit,
        data: JSONBody[OntologyCreate],
    ) -> Response[Ontology]:
        ontology = await ontology_service.create(data, principal.user_id)
        audit.note(target=f"ontology:{ontology.id}")
        return Response(ontology, status_code=201)

    @get(
        "/{ontology_id:uuid}",
        operation_id="ontology_read",
        responses=problems(404),
        opt=access(Permission.ORG_ONTOLOGY_READ),
    )
    async def read(
        self, ontology_service: NamedDependency[OntologyService], ontology_id: FromPath[uuid.UUID]
    ) -> Ontology:
        return await ontology_service.get(ontology_id)

    @get(
        "/{ontology_id:uuid}/versions",
        operation_id="ontology_version_list",
        responses=problems(404),
        opt=access(Permission.ORG_ONTOLOGY_READ),
    )
    async def list_versions(
        self, ontology_service: NamedDependency[OntologyService], ontology_id: FromPath[uuid.UUID]
    ) -> OntologyVersionList:
        return await ontology_service.list_versions(ontology_id)

    @post(
        "/{ontology_id:uuid}/versions",
        operation_id="ontology_version_create",
        responses=problems(404, 409),
        opt=access(Permission.ORG_ONTOLOGY_UPDATE) | audited(AuditAction.ORG_ONTOLOGY_VERSION),
    )
    async def add_version(
        self,
        ontology_service: NamedDependency[OntologyService],
        principal: Caller,
        ontology_id: FromPath[uuid.UUID],
        data: JSONBody[OntologyVersionCreate],
    ) -> Response[OntologyVersion]:
        version = await ontology_service.add_version(ontology_id, data.definition, principal.user_id)
        return Response(version, status_code=201)
