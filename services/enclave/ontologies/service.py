"""The ontologies service: creates ontologies and appends versions, and answers with the domain's
schemas. Owns the rules of a definition (names unique within their list, options within a question)
and the version numbering; reads and writes only through ``enclave.db.repositories.ontologies``.
Must never change an old version, and never hand an ORM row to its callers."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import Ontology as OntologyRow
from enclave.db.models import OntologyVersion as VersionRow
from enclave.db.models.base import new_id
from enclave.db.repositories.ontologies import OntologyRepository, OntologyVersionRepository
from enclave.domain.errors import Conflict, InvalidInput, NotFound
from enclave.ontologies.schemas import (
    Ontology,
    OntologyCreate,
    OntologyDefinition,
    OntologyPage,
    OntologyVersion,
    OntologyVersionList,
)


def check_definition(definition: OntologyDefinition) -> None:
    """Names must be unique within their list: annotations refer to them by name."""
    for kind, names in (
        ("object", [o.name for o in definition.objects]),
        ("classification", [c.name for c in definition.classifications]),
    ):
        if len(set(names)) != len(names):
            raise InvalidInput(f"Each {kind} name must be unique within the ontology.")
    for classification in definition.classifications:
        if len(set(classification.options)) != len(classification.options):
            raise InvalidInput(f"The options of '{classification.name}' must be unique.")


def _definition(row: VersionRow) -> OntologyDefinition:
    return msgspec.convert(row.definition, OntologyDefinition)


def _version_schema(row: VersionRow) -> OntologyVersion:
    return OntologyVersion(row.ontology_id, row.version, _definition(row), row.created_by, row.created_at)


class OntologyService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id
        self.ontologies = OntologyRepository(session, organization_id)
        self.versions = OntologyVersionRepository(session, organization_id)

    async def _row(self, ontology_id: uuid.UUID, *, for_update: bool = False) -> OntologyRow:
        row = await self.ontologies.get(ontology_id, for_update=for_update)
        if row is None:
            raise NotFound("No such ontology.")
        return row

    async def _schema(self, row: OntologyRow) -> Ontology:
        version = await self.versions.definition(row.id, row.current_version)
        if version is None:  # pragma: no cover — every ontology is created with its first version
            raise NotFound("No such ontology version.")
        return Ontology(row.id, row.name, row.current_version, _definition(version), row.created_at)

    async def get(self, ontology_id: uuid.UUID) -> Ontology:
        return await self._schema(await self._row(ontology_id))

    async def list(self, cursor: str | None, limit: int) -> OntologyPage:
        result = await self.ontologies.page_ontologies(cursor, limit)
        return OntologyPage([await self._schema(row) for row in result.items], result.next_cursor)

    async def create(self, data: OntologyCreate, author_id: uuid.UUID) -> Ontology:
        check_definition(data.definition)
        if await self.ontologies.name_taken(data.name):
            raise Conflict("An ontology with this name already exists.")
        row = self.ontologies.add(OntologyRow(id=new_id(), name=data.name, current_version=1))
        await self.session.flush()
        self._add_version(row.id, 1, data.definition, author_id)
        await self.session.flush()
        return await self._schema(row)

    async def add_version(
        self, ontology_id: uuid.UUID, definition: OntologyDefinition, author_id: uuid.UUID
    ) -> OntologyVersion:
        check_definition(definition)
        row = await self._row(ontology_id, for_update=True)  # serialises concurrent new versions
        row.current_version += 1
        version = self._add_version(row.id, row.current_version, definition, author_id)
        await self.session.flush()
        return OntologyVersion(row.id, version.version, definition, author_id, version.created_at)

    async def list_versions(self, ontology_id: uuid.UUID) -> OntologyVersionList:
        await self._row(ontology_id)
        return OntologyVersionList([_version_schema(r) for r in await self.versions.all_of(ontology_id)])

    def _add_version(
        self, ontology_id: uuid.UUID, number: int, definition: OntologyDefinition, author_id: uuid.UUID
    ) -> VersionRow:
        return self.versions.add(
            VersionRow(
                id=new_id(),
                ontology_id=ontology_id,
                version=number,
                definition=msgspec.to_builtins(definition),
                created_by=author_id,
            )
        )

    async def exists(self, ontology_id: uuid.UUID) -> bool:
        return await self.ontologies.exists(ontology_id)
