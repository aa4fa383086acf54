"""The projects domain's statements (``enclave.db.repositories.projects``): each names the caller's
organization, the project list shows the projects its visibility says, and each lookup is the one
its name says."""

from __future__ import annotations

import uuid

import pytest

from enclave.authz.policy import Visibility
from enclave.db.models import ProjectMember
from enclave.db.repositories.projects import (
    ProjectDatasetRepository,
    ProjectMemberRepository,
    ProjectRepository,
)
from enclave.domain.roles import ProjectRole
from tests.unit.db.repositories.recording import RecordingSession, sql

ORG = uuid.UUID(int=1)
USER = uuid.UUID(int=2)
PROJECT = uuid.UUID(int=3)
DATASET = uuid.UUID(int=4)

TENANT = f"projects.organization_id = '{ORG}'"
OPEN = "projects.archived_at IS NULL"


@pytest.fixture
def db() -> RecordingSession:
    return RecordingSession()


class TestVisibleTo:
    def visible(self, db: RecordingSession, visibility: Visibility) -> str:
        return sql(ProjectRepository(db.session, ORG).visible_to(visibility, USER))

    def test_everything_is_every_open_project_of_the_tenant(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(everything=True))
        assert TENANT in shown
        assert OPEN in shown
        assert "project_members" not in shown

    def test_project_roles_are_the_projects_the_caller_holds_one_of_in(self, db: RecordingSession) -> None:
        roles = frozenset({ProjectRole.ANNOTATOR, ProjectRole.REVIEWER})
        shown = self.visible(db, Visibility(project_roles=roles))
        assert TENANT in shown
        assert OPEN in shown
        member_of = shown.split("projects.id IN (", 1)[1]
        assert f"project_members.user_id = '{USER}'" in member_of
        assert f"project_members.organization_id = '{ORG}'" in member_of
        assert "project_members.role IN (" in member_of
        assert "'annotator'" in member_of
        assert "'reviewer'" in member_of
        assert "'admin'" not in member_of

    def test_a_key_restricted_to_a_project_sees_that_one(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(everything=True, project_id=PROJECT))
        assert f"projects.id = '{PROJECT}'" in shown

    def test_no_ground_shows_nothing(self, db: RecordingSession) -> None:
        assert "false" in self.visible(db, Visibility()).lower()

    async def test_a_page_is_in_creation_order(self, db: RecordingSession) -> None:
        page = await ProjectRepository(db.session, ORG).page_visible_to(
            Visibility(everything=True), USER, None, 20
        )
        assert page.items == []
        assert page.next_cursor is None
        assert TENANT in db.last
        assert OPEN in db.last
        assert db.last.endswith("ORDER BY projects.created_at, projects.id LIMIT 21")


class TestProjects:
    async def test_a_name_is_taken_within_the_tenant(self, db: RecordingSession) -> None:
        assert await ProjectRepository(db.session, ORG).name_taken("Cars") is False
        assert TENANT in db.last
        assert "projects.name = 'Cars'" in db.last

    async def test_a_project_by_id(self, db: RecordingSession) -> None:
        assert await ProjectRepository(db.session, ORG).get(PROJECT) is None
        assert TENANT in db.last
        assert f"projects.id = '{PROJECT}'" in db.last


class TestMembers:
    async def test_one_membership(self, db: RecordingSession) -> None:
        assert await ProjectMemberRepository(db.session, ORG).find(PROJECT, USER) is None
        assert f"project_members.organization_id = '{ORG}'" in db.last
        assert f"project_members.project_id = '{PROJECT}'" in db.last
        assert f"project_members.user_id = '{USER}'" in db.last
        assert "FOR " not in db.last  # the guard holds the membership a change acts on

    async def test_a_projects_members_in_order(self, db: RecordingSession) -> None:
        assert await ProjectMemberRepository(db.session, ORG).of_project(PROJECT) == []
        assert f"project_members.organization_id = '{ORG}'" in db.last
        assert f"project_members.project_id = '{PROJECT}'" in db.last
        assert db.last.endswith("ORDER BY project_members.created_at")

    async def test_a_removal_is_flushed_at_once(self, db: RecordingSession) -> None:
        member = ProjectMember(project_id=PROJECT, user_id=USER, role=ProjectRole.ANNOTATOR)
        await ProjectMemberRepository(db.session, ORG).remove(member)
        assert db.deleted == [member]
        assert db.flushes == 1


class TestDatasets:
    async def test_an_attachment(self, db: RecordingSession) -> None:
        assert await ProjectDatasetRepository(db.session, ORG).find(PROJECT, DATASET) is None
        assert f"project_datasets.organization_id = '{ORG}'" in db.last
        assert f"project_datasets.project_id = '{PROJECT}'" in db.last
        assert f"project_datasets.dataset_id = '{DATASET}'" in db.last

    async def test_a_projects_datasets(self, db: RecordingSession) -> None:
        assert await ProjectDatasetRepository(db.session, ORG).dataset_ids(PROJECT) == []
        assert db.last.startswith("SELECT project_datasets.dataset_id FROM project_datasets")
        assert f"project_datasets.organization_id = '{ORG}'" in db.last

    async def test_a_dataset_exists_in_the_tenant(self, db: RecordingSession) -> None:
        assert await ProjectDatasetRepository(db.session, ORG).dataset_exists(DATASET) is False
        assert db.last.startswith("SELECT datasets.id FROM datasets WHERE")
        assert f"datasets.id = '{DATASET}'" in db.last
        assert f"datasets.organization_id = '{ORG}'" in db.last
