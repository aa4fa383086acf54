"""The facts authorization needs, read in as few queries as possible, inside the caller's tenant.

Owns the loading side of ``can``: the member behind a claim (current role, disabled or not), the
caller's role in a project, and a task's assignment. Returns ``None`` when the row is not visible,
which the guard answers with 404: other tenants' rows are invisible by RLS and by the filters here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import DataItem, Organization, OrgMembership, ProjectMember, Task, User
from enclave.db.models.project import Project
from enclave.domain.roles import OrgRole, ProjectRole


@dataclass(frozen=True, slots=True)
class TaskFacts:
    project_id: uuid.UUID
    assignee_id: uuid.UUID | None
    reviewer_id: uuid.UUID | None
    project_role: ProjectRole | None


@dataclass(frozen=True, slots=True)
class CallerFacts:
    role: OrgRole
    mfa_required: bool
    #: The organization asked to be terminated (read-only until shredded).
    terminated: bool = False
    #: Its key is destroyed: nothing of it can be read any more.
    shredded: bool = False


class AccessRepository:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    async def member_role(self, user_id: uuid.UUID, *, active_only: bool = True) -> OrgRole | None:
        statement = (
            select(OrgMembership.role)
            .join(User, User.id == OrgMembership.user_id)
            .where(OrgMembership.user_id == user_id, OrgMembership.organization_id == self.organization_id)
        )
        if active_only:
            statement = statement.where(User.disabled.is_(False))
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def caller(self, user_id: uuid.UUID) -> CallerFacts | None:
        """The caller's current org role and their organization's MFA rule and state, in one query."""
        found = await self.session.execute(_CALLER, {"user_id": user_id, "org": self.organization_id})
        row = found.first()
        return None if row is None else CallerFacts(row[0], bool(row[1]), bool(row[2]), bool(row[3]))

    async def project_exists(self, project_id: uuid.UUID) -> bool:
        statement = select(Project.id).where(
            Project.id == project_id,
            Project.organization_id == self.organization_id,
            Project.archived_at.is_(None),
        )
        return (await self.session.execute(statement)).first() is not None

    async def project_access(
        self, project_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[bool, ProjectRole | None]:
        """Whether the project exists (and is not archived), and the user's role in it: one query."""
        found = await self.session.execute(
            _PROJECT_ACCESS, {"project_id": project_id, "user_id": user_id, "org": self.organization_id}
        )
        row = found.first()
        return (False, None) if row is None else (True, row[1])

    async def project_role(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectRole | None:
        statement = select(ProjectMember.role).where(
            ProjectMember.project_id == project_id,
            ProjectMember.user_id == user_id,
            ProjectMember.organization_id == self.organization_id,
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def task_facts(self, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskFacts | None:
        found = await self.session.execute(
            _TASK_FACTS, {"task_id": task_id, "user_id": user_id, "org": self.organization_id}
        )
        row = found.first()
        return None if row is None else TaskFacts(*row)

    async def item_facts(self, item_id: uuid.UUID, user_id: uuid.UUID) -> list[TaskFacts] | None:
        """The open tasks on a data item, each with the caller's role in its project; None when the
        item is not visible, an empty list when no task uses it."""
        statement = (
            select(DataItem.id, Task.project_id, Task.assignee_id, Task.reviewer_id, ProjectMember.role)
            .outerjoin(Task, and_(Task.data_item_id == DataItem.id, Task.removed_at.is_(None)))
            .outerjoin(
                ProjectMember,
                and_(ProjectMember.project_id == Task.project_id, ProjectMember.user_id == user_id),
            )
            .where(DataItem.id == item_id, DataItem.organization_id == self.organization_id)
        )
        rows = (await self.session.execute(statement)).all()
        if not rows:
            return None
        return [TaskFacts(*row[1:]) for row in rows if row[1] is not None]


# The statements every request's authorization runs, built once (building one costs more than
# sending it); each still names the organization, besides row-level security.
_CALLER = (
    select(
        OrgMembership.role,
        Organization.settings["mfa_required"].as_boolean(),
        Organization.terminated_at.is_not(None),
        Organization.shredded_at.is_not(None),
    )
    .join(User, User.id == OrgMembership.user_id)
    .join(Organization, Organization.id == OrgMembership.organization_id)
    .where(
        OrgMembership.user_id == bindparam("user_id"),
        OrgMembership.organization_id == bindparam("org"),
        User.disabled.is_(False),
    )
)
_PROJECT_ACCESS = (
    select(Project.id, ProjectMember.role)
    .outerjoin(
        ProjectMember,
        and_(
            ProjectMember.project_id == Project.id,
            ProjectMember.user_id == bindparam("user_id"),
            ProjectMember.organization_id == bindparam("org"),
        ),
    )
    .where(
        Project.id == bindparam("project_id"),
        Project.organization_id == bindparam("org"),
        Project.archived_at.is_(None),
    )
)
_TASK_FACTS = (
    select(Task.project_id, Task.assignee_id, Task.reviewer_id, ProjectMember.role)
    .outerjoin(
        ProjectMember,
        and_(ProjectMember.project_id == Task.project_id, ProjectMember.user_id == bindparam("user_id")),
    )
    .where(
        Task.id == bindparam("task_id"), Task.organization_id == bindparam("org"), Task.removed_at.is_(None)
    )
)
