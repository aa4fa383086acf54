"""Ontologies and their versions: every query of the ontologies domain, scoped to the caller's
organization.

Owns finding an ontology by id (locked ``FOR UPDATE`` when a version is added, which serialises
concurrent new versions) or by name, the page of ontologies, the existence check other domains ask
for, and reading versions: one by number, or all of an ontology's in order. Returns ORM rows, pages
and booleans to the ontologies service: must never change a stored version (versions are only ever
added), nor return a row of another organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from enclave.db.models import Ontology, OntologyVersion
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import Page, page


class OntologyRepository(TenantRepository[Ontology]):
    model = Ontology

    async def name_taken(self, name: str) -> bool:
        statement = self.select().where(Ontology.name == name)
        return (await self.session.execute(statement)).first() is not None

    async def exists(self, ontology_id: uuid.UUID) -> bool:
        statement = select(Ontology.id).where(
            Ontology.id == ontology_id, Ontology.organization_id == self.organization_id
        )
        return (await self.session.execute(statement)).first() is not None

    async def page_ontologies(self, cursor: str | None, limit: int) -> Page[Ontology]:
        return await page(self.session, self.select(), Ontology, cursor, limit)


class OntologyVersionRepository(TenantRepository[OntologyVersion]):
    model = OntologyVersion

    async def definition(self, ontology_id: uuid.UUID, version: int) -> OntologyVersion | None:
        statement = self.select().where(
            OntologyVersion.ontology_id == ontology_id, OntologyVersion.version == version
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def all_of(self, ontology_id: uuid.UUID) -> Sequence[OntologyVersion]:
        """All of the ontology's versions, oldest first."""
        statement = (
            self.select().where(OntologyVersion.ontology_id == ontology_id).order_by(OntologyVersion.version)
        )
        return await self.list(statement)
