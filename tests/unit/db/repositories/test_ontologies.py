"""The ontologies domain's queries: each is confined to the caller's organization; a new version
reads its ontology ``FOR UPDATE`` (so concurrent versions are numbered one after the other), and
nothing else locks."""

from __future__ import annotations

import uuid

from enclave.db.repositories.ontologies import OntologyRepository, OntologyVersionRepository
from tests.unit.db.repositories.recording import RecordingSession

ORG = uuid.UUID(int=1)
ONTOLOGY = uuid.UUID(int=5)


def where(sql: str) -> str:
    """The statement's WHERE clause and what follows it."""
    return sql.split(" WHERE ", 1)[1]


class TestOntologyRepository:
    async def test_an_ontology_read_for_a_new_version_is_locked_for_update(self) -> None:
        recorded = RecordingSession()
        assert await OntologyRepository(recorded.session, ORG).get(ONTOLOGY, for_update=True) is None
        assert where(recorded.last) == (
            f"ontologies.organization_id = '{ORG}' AND ontologies.id = '{ONTOLOGY}' FOR UPDATE"
        )

    async def test_a_plain_read_takes_no_lock(self) -> None:
        recorded = RecordingSession()
        await OntologyRepository(recorded.session, ORG).get(ONTOLOGY)
        assert (
            where(recorded.last) == f"ontologies.organization_id = '{ORG}' AND ontologies.id = '{ONTOLOGY}'"
        )

    async def test_a_name_is_taken_only_within_the_organization(self) -> None:
        recorded = RecordingSession()
        assert await OntologyRepository(recorded.session, ORG).name_taken("findings") is False
        assert (
            where(recorded.last) == f"ontologies.organization_id = '{ORG}' AND ontologies.name = 'findings'"
        )

    async def test_an_ontology_exists_only_within_the_organization(self) -> None:
        recorded = RecordingSession()
        assert await OntologyRepository(recorded.session, ORG).exists(ONTOLOGY) is False
        sql = recorded.last
        assert sql.startswith("SELECT ontologies.id FROM ontologies WHERE ")
        assert where(sql) == f"ontologies.id = '{ONTOLOGY}' AND ontologies.organization_id = '{ORG}'"

    async def test_a_page_holds_the_organizations_ontologies_in_creation_order(self) -> None:
        recorded = RecordingSession()
        await OntologyRepository(recorded.session, ORG).page_ontologies(None, 50)
        assert where(recorded.last) == (
            f"ontologies.organization_id = '{ORG}' ORDER BY ontologies.created_at, ontologies.id LIMIT 51"
        )


class TestOntologyVersionRepository:
    async def test_one_version_is_read_by_ontology_and_number(self) -> None:
        recorded = RecordingSession()
        assert await OntologyVersionRepository(recorded.session, ORG).definition(ONTOLOGY, 3) is None
        assert where(recorded.last) == (
            f"ontology_versions.organization_id = '{ORG}' AND ontology_versions.ontology_id = '{ONTOLOGY}' "
            "AND ontology_versions.version = 3"
        )

    async def test_all_versions_of_an_ontology_are_read_oldest_first(self) -> None:
        recorded = RecordingSession()
        assert list(await OntologyVersionRepository(recorded.session, ORG).all_of(ONTOLOGY)) == []
        assert where(recorded.last) == (
            f"ontology_versions.organization_id = '{ORG}' AND ontology_versions.ontology_id = '{ONTOLOGY}' "
            "ORDER BY ontology_versions.version"
        )
