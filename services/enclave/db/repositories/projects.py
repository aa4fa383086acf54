"""Projects, their members and their datasets."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from enclave.db.models import Project, ProjectDataset, ProjectMember
from enclave.db.repositories.base import TenantRepository
from enclave.domain.roles import ProjectRole


class ProjectRepository(TenantRepository[Project]):
    model = Project

    def visible_to(self, user_id: uuid.UUID | None, *, workers_only: bool = False):  # type: ignore[no-untyped-def]
        """Open projects; only those ``user_id`` is a member of, unless None (org Admins see all).

        ``workers_only`` counts only annotating and reviewing memberships (for Taskers, whose
        managing roles count for nothing, as in the policy).
        """
        statement = self.select().where(Project.archived_at.is_(None))
        if user_id is not None:
            member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
            if workers_only:
                member_of = member_of.where(
                    ProjectMember.role.not_in([ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER])
                )
            statement = statement.where(Project.id.in_(member_of))
        return statement

    async def name_taken(self, name: str) -> bool:
        return (await self.session.execute(self.select().where(Project.name == name))).first() is not None


class ProjectMemberRepository(TenantRepository[ProjectMember]):
    model = ProjectMember

    async def find(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectMember | None:
        statement = self.select().where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def of_project(self, project_id: uuid.UUID) -> list[ProjectMember]:
        statement = (
            self.select().where(ProjectMember.project_id == project_id).order_by(ProjectMember.created_at)
        )
        return list(await self.list(statement))


class ProjectDatasetRepository(TenantRepository[ProjectDataset]):
    model = ProjectDataset

    async def dataset_ids(self, project_id: uuid.UUID) -> list[uuid.UUID]:
        statement = select(ProjectDataset.dataset_id).where(
            ProjectDataset.project_id == project_id, ProjectDataset.organization_id == self.organization_id
        )
        return list((await self.session.execute(statement)).scalars())

    async def find(self, project_id: uuid.UUID, dataset_id: uuid.UUID) -> ProjectDataset | None:
        statement = self.select().where(
            ProjectDataset.project_id == project_id, ProjectDataset.dataset_id == dataset_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()
