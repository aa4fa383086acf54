"""The facts authorization needs, read in as few queries as possible, inside the caller's tenant.

Owns the loading side of ``can``: the member behind a claim (current role, disabled or not), the
caller's role in a project, and a task's assignment. Returns ``None`` when the row is not visible,
which the guard answers with 404: other tenants' rows are invisible by RLS and by the filters here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import OrgMembership, ProjectMember, User
from enclave.db.models.project import Project
from enclave.db.raw import fetch_row, fetch_rows
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
        row = await fetch_row(self.session, _CALLER, user_id, self.organization_id)
        return None if row is None else CallerFacts(OrgRole(row[0]), bool(row[1]), row[2], row[3])

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
        row = await fetch_row(self.session, _PROJECT_ACCESS, project_id, user_id, self.organization_id)
        return (False, None) if row is None else (True, _project_role(row[1]))

    async def project_role(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectRole | None:
        statement = select(ProjectMember.role).where(
            ProjectMember.project_id == project_id,
            ProjectMember.user_id == user_id,
            ProjectMember.organization_id == self.organization_id,
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def task_facts(self, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskFacts | None:
        row = await fetch_row(self.session, _TASK_FACTS, task_id, user_id, self.organization_id)
        return None if row is None else TaskFacts(row[0], row[1], row[2], _project_role(row[3]))

    async def item_facts(self, item_id: uuid.UUID, user_id: uuid.UUID) -> list[TaskFacts] | None:
        """The open tasks on a data item, each with the caller's role in its project; None when the
        item is not visible, an empty list when no task uses it."""
        rows = await fetch_rows(self.session, _ITEM_FACTS, item_id, user_id, self.organization_id)
        if not rows:
            return None
        return [TaskFacts(r[0], r[1], r[2], _project_role(r[3])) for r in rows if r[0] is not None]


def _project_role(value: str | None) -> ProjectRole | None:
    return None if value is None else ProjectRole(value)


# The statements every request's authorization runs (``db.raw``: asyncpg's prepared statements);
# each still names the organization, besides row-level security.
_CALLER = """
SELECT m.role, (o.settings ->> 'mfa_required')::boolean, o.terminated_at IS NOT NULL,
       o.shredded_at IS NOT NULL
FROM org_memberships m
JOIN users u ON u.id = m.user_id
JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = $1 AND m.organization_id = $2 AND u.disabled IS false
"""
_PROJECT_ACCESS = """
SELECT p.id, pm.role
FROM projects p
LEFT JOIN project_members pm
  ON pm.project_id = p.id AND pm.user_id = $2 AND pm.organization_id = $3
WHERE p.id = $1 AND p.organization_id = $3 AND p.archived_at IS NULL
"""
_TASK_FACTS = """
SELECT t.project_id, t.assignee_id, t.reviewer_id, pm.role
FROM tasks t
LEFT JOIN project_members pm ON pm.project_id = t.project_id AND pm.user_id = $2
WHERE t.id = $1 AND t.organization_id = $3 AND t.removed_at IS NULL
"""
_ITEM_FACTS = """
SELECT t.project_id, t.assignee_id, t.reviewer_id, pm.role
FROM data_items i
LEFT JOIN tasks t ON t.data_item_id = i.id AND t.removed_at IS NULL
LEFT JOIN project_members pm ON pm.project_id = t.project_id AND pm.user_id = $2
WHERE i.id = $1 AND i.organization_id = $3
"""
