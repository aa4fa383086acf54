"""Projects, their members and their datasets: every query of the projects domain but its export's
(``db.repositories.exports``).

Owns the statements on ``projects``, ``project_members`` and ``project_datasets`` (and the one look
at ``datasets`` an attachment needs), each scoped to the caller's organization through the base's
``select()``/``scoped()`` or naming ``organization_id`` itself. Returns ORM rows, pages of them or
scalars; must never decide a rule (who may see, join or change a project is the policy's and the
service's) nor lock a membership the service did not ask to hold.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from enclave.authz.policy import Visibility
from enclave.db.models import Dataset, Project, ProjectDataset, ProjectMember
from enclave.db.repositories.base import TenantRepository, visibility_filter
from enclave.db.repositories.pages import Page, page


class ProjectRepository(TenantRepository[Project]):
    model = Project

    def visible_to(self, visibility: Visibility, user_id: uuid.UUID) -> Select[Any]:
        """The open projects ``visibility`` shows ``user_id``: all, or those in which they hold one
        of its project roles."""
        member_of = select(ProjectMember.project_id).where(
            ProjectMember.user_id == user_id,
            ProjectMember.organization_id == self.organization_id,
            ProjectMember.role.in_(visibility.project_roles),
        )
        shown = visibility_filter(visibility, {"project_roles": Project.id.in_(member_of)}, Project.id)
        return self.select().where(Project.archived_at.is_(None), shown)

    async def page_visible_to(
        self, visibility: Visibility, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[Project]:
        return await page(self.session, self.visible_to(visibility, user_id), Project, cursor, limit)

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

    async def remove(self, member: ProjectMember) -> None:
        """Deletes a membership this session loaded, at once (within the request's transaction)."""
        await self.session.delete(member)
        await self.session.flush()


class ProjectDatasetRepository(TenantRepository[ProjectDataset]):
    model = ProjectDataset

    async def dataset_ids(self, project_id: uuid.UUID) -> list[uuid.UUID]:
        statement = select(ProjectDataset.dataset_id).where(
            ProjectDataset.project_id == project_id, ProjectDataset.organization_id == self.organization_id
        )
        return list((await self.session.execute(statement)).scalars())

    async def datasets_of(self, project_id: uuid.UUID) -> list[Dataset]:
        """The datasets attached to the project, by name."""
        statement = (
            select(Dataset)
            .join(ProjectDataset, ProjectDataset.dataset_id == Dataset.id)
            .where(
                ProjectDataset.project_id == project_id,
                ProjectDataset.organization_id == self.organization_id,
                Dataset.organization_id == self.organization_id,
            )
            .order_by(Dataset.name, Dataset.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def find(self, project_id: uuid.UUID, dataset_id: uuid.UUID) -> ProjectDataset | None:
        statement = self.select().where(
            ProjectDataset.project_id == project_id, ProjectDataset.dataset_id == dataset_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def dataset_exists(self, dataset_id: uuid.UUID) -> bool:
        """Whether the organization has this dataset (what may be attached to its projects)."""
        statement = select(Dataset.id).where(
            Dataset.id == dataset_id, Dataset.organization_id == self.organization_id
        )
        return (await self.session.execute(statement)).first() is not None
