"""The organizations statements (``enclave.db.repositories.organizations``): each names the
organization it was made for, the changes that take turns lock the row, the shredder's lock skips a
row another run holds, and a new organization is inserted before its directory entry."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from enclave.db.models import Organization, OrganizationDirectory
from enclave.db.repositories.organizations import DirectoryRepository, OrganizationRepository
from tests.unit.db.repositories.recording import NoRows, RecordingSession

ORG = uuid.UUID(int=1)
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
TENANT = f"organizations.id = '{ORG}'"


class OneRow(NoRows):
    def __init__(self, value: Any) -> None:
        self.value = value

    def scalar_one(self) -> Any:
        return self.value


class Session(RecordingSession):
    """Records statements and the objects added (with the flush each was added before)."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[tuple[Any, int]] = []
        self.answer: NoRows = NoRows()

    def add(self, obj: Any) -> None:
        self.added.append((obj, self.flushes))

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> NoRows:
        await super().execute(statement, *args, **kwargs)
        return self.answer


@pytest.fixture
def db() -> Session:
    return Session()


class TestTheRow:
    async def test_a_read_is_the_tenants_row_unlocked(self, db: Session) -> None:
        assert await OrganizationRepository(db.session, ORG).get() is None
        assert db.last.startswith("SELECT organizations.")
        assert db.last.endswith(f"FROM organizations WHERE {TENANT}")

    async def test_a_change_locks_it_for_update(self, db: Session) -> None:
        await OrganizationRepository(db.session, ORG).get(for_update=True)
        assert TENANT in db.last
        assert db.last.endswith("FOR UPDATE")

    async def test_the_slug(self, db: Session) -> None:
        db.answer = OneRow("acme")
        assert await OrganizationRepository(db.session, ORG).slug() == "acme"
        assert db.last.startswith("SELECT organizations.slug FROM organizations WHERE")
        assert db.last.endswith(TENANT)


class TestShredding:
    async def test_due_is_past_its_window_with_its_key_and_skipped_when_held(self, db: Session) -> None:
        assert await OrganizationRepository(db.session, ORG).due_for_shredding(NOW) is None
        assert TENANT in db.last
        assert "organizations.shred_after <= '2026-01-02 03:04:05+00:00'" in db.last
        assert "organizations.shredded_at IS NULL" in db.last
        assert db.last.endswith("FOR UPDATE SKIP LOCKED")


class TestProvisioning:
    async def test_the_organization_then_its_directory_entry(self, db: Session) -> None:
        row = await OrganizationRepository(db.session, ORG).add(slug="acme", name="Acme", workforce=True)
        (organization, before_first), (entry, before_second) = db.added
        assert organization is row
        assert isinstance(organization, Organization)
        assert (organization.id, organization.slug, organization.name) == (ORG, "acme", "Acme")
        assert organization.workforce is True
        assert organization.settings == {}
        assert isinstance(entry, OrganizationDirectory)
        assert (entry.slug, entry.organization_id) == ("acme", ORG)
        assert (before_first, before_second, db.flushes) == (0, 1, 2)  # the row exists before its entry


class TestDirectory:
    async def test_a_slug_names_one_organization(self, db: Session) -> None:
        assert await DirectoryRepository(db.session).organization_of("acme") is None
        assert db.last == (
            "SELECT organization_directory.organization_id FROM organization_directory "
            "WHERE organization_directory.slug = 'acme'"
        )

    async def test_the_shredders_round_is_every_organization(self, db: Session) -> None:
        assert list(await DirectoryRepository(db.session).organization_ids()) == []
        assert db.last == "SELECT organization_directory.organization_id FROM organization_directory"
