"""The facts authorization needs, read in as few queries as possible, inside the caller's tenant.

Owns the loading side of ``can``: the member behind a claim (current role, disabled or not), the
caller's role in a project, and a task's assignment. Returns ``None`` when the row is not visible,
which the guard answers with 404: other tenants' rows are invisible by RLS and by the filters here.

A repository made with ``locking=True`` (the guard makes one for every request that changes
something) locks every row it reads until the request's transaction ends, so the policy's decision
still holds when the handler writes: the caller's membership, account, organization and project
role ``FOR SHARE`` (a role change, a removal or a termination waits for the write, or the write
waits for it and reads the new facts), and the row acted on — a task, a member, a project member,
an API key — ``FOR UPDATE``, as the handler will. The project row itself is not locked: no route
changes what the policy reads of it (it exists and is not archived), and every take from a
project's queue would otherwise queue on it. Reads lock nothing.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import OrgMembership, ProjectMember, User
from enclave.db.models.project import Project
from enclave.db.raw import fetch_row, fetch_rows
from enclave.domain.roles import OrgRole, ProjectRole


class Lock(enum.Enum):
    """How a fact read by a write is held until its transaction ends."""

    #: Not locked (reads).
    NONE = "none"
    #: Nobody may change the row meanwhile (FOR SHARE): a fact the decision rests on.
    SHARE = "share"
    #: The transaction will change or remove the row (FOR UPDATE): the row acted on.
    UPDATE = "update"


def _locked(statement: Select[Any], lock: Lock, *tables: Any) -> Select[Any]:
    if lock is Lock.NONE:
        return statement
    return statement.with_for_update(read=lock is Lock.SHARE, of=list(tables) or None)


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
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID, *, locking: bool = False) -> None:
        self.session = session
        self.organization_id = organization_id
        #: Lock what is read until the transaction ends (requests that change something).
        self.locking = locking

    async def member_role(
        self, user_id: uuid.UUID, *, active_only: bool = True, lock: Lock = Lock.NONE
    ) -> OrgRole | None:
        """A member's org role (None: not a member, or disabled when ``active_only``), with their
        membership and account held as ``lock`` says."""
        statement = (
            select(OrgMembership.role)
            .join(User, User.id == OrgMembership.user_id)
            .where(OrgMembership.user_id == user_id, OrgMembership.organization_id == self.organization_id)
        )
        if active_only:
            statement = statement.where(User.disabled.is_(False))
        statement = _locked(statement, lock, OrgMembership.__table__, User.__table__)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def caller(self, user_id: uuid.UUID) -> CallerFacts | None:
        """The caller's current org role and their organization's MFA rule and state, in one query."""
        sql = _CALLER_LOCKED if self.locking else _CALLER
        row = await fetch_row(self.session, sql, user_id, self.organization_id)
        return None if row is None else caller_facts(*row)

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
        sql = _PROJECT_ACCESS_LOCKED if self.locking else _PROJECT_ACCESS
        row = await fetch_row(self.session, sql, project_id, user_id, self.organization_id)
        return (False, None) if row is None else (True, _project_role(row[1]))

    async def project_role(
        self, project_id: uuid.UUID, user_id: uuid.UUID, *, lock: Lock = Lock.NONE
    ) -> ProjectRole | None:
        """A user's role in a project, with their project membership held as ``lock`` says."""
        statement = select(ProjectMember.role).where(
            ProjectMember.project_id == project_id,
            ProjectMember.user_id == user_id,
            ProjectMember.organization_id == self.organization_id,
        )
        return (await self.session.execute(_locked(statement, lock))).scalar_one_or_none()

    @property
    def target_lock(self) -> Lock:
        """How the row a request acts on is held: for update when the request changes something."""
        return Lock.UPDATE if self.locking else Lock.NONE

    async def task_facts(self, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskFacts | None:
        """A task's project and assignment, and the user's role in its project; when locking, the
        task is locked for update and the user's project membership for share."""
        sql = _TASK_FACTS_LOCKED if self.locking else _TASK_FACTS
        row = await fetch_row(self.session, sql, task_id, user_id, self.organization_id)
        return None if row is None else TaskFacts(row[0], row[1], row[2], _project_role(row[3]))

    async def item_facts(self, item_id: uuid.UUID, user_id: uuid.UUID) -> list[TaskFacts] | None:
        """The open tasks on a data item, each with the caller's role in its project; None when the
        item is not visible, an empty list when no task uses it."""
        rows = await fetch_rows(self.session, _ITEM_FACTS, item_id, user_id, self.organization_id)
        if not rows:
            return None
        return [TaskFacts(r[0], r[1], r[2], _project_role(r[3])) for r in rows if r[0] is not None]


def caller_facts(role: str, mfa_required: bool | None, terminated: bool, shredded: bool) -> CallerFacts:
    """A caller from the columns ``CALLER_COLUMNS`` reads, in its order."""
    return CallerFacts(OrgRole(role), bool(mfa_required), terminated, shredded)


def _project_role(value: str | None) -> ProjectRole | None:
    return None if value is None else ProjectRole(value)


# The statements every request's authorization runs (``db.raw``: asyncpg's prepared statements);
# each still names the organization, besides row-level security.
#: What a caller is, read from its membership ``m`` and organization ``o`` (``caller_facts``); the
#: API key's lookup reads the same columns of the key's owner.
CALLER_COLUMNS = (
    "m.role, (o.settings ->> 'mfa_required')::boolean, o.terminated_at IS NOT NULL, o.shredded_at IS NOT NULL"
)
_CALLER = f"""
SELECT {CALLER_COLUMNS}
FROM org_memberships m
JOIN users u ON u.id = m.user_id
JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = $1 AND m.organization_id = $2 AND u.disabled IS false
"""  # noqa: S608  # nosec B608 — a constant of this module, no input
_CALLER_LOCKED = _CALLER + "FOR SHARE OF m, u, o\n"
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
# Locked forms: the caller's project role is read in a sub-select that locks it, because PostgreSQL
# locks no row on the nullable side of an outer join (and a caller who is not a project member has
# no row to lock).
_PROJECT_ACCESS_LOCKED = """
SELECT p.id, (SELECT pm.role FROM project_members pm
              WHERE pm.project_id = p.id AND pm.user_id = $2 AND pm.organization_id = $3 FOR SHARE)
FROM projects p
WHERE p.id = $1 AND p.organization_id = $3 AND p.archived_at IS NULL
"""
_TASK_FACTS_LOCKED = """
SELECT t.project_id, t.assignee_id, t.reviewer_id,
       (SELECT pm.role FROM project_members pm
        WHERE pm.project_id = t.project_id AND pm.user_id = $2 AND pm.organization_id = $3 FOR SHARE)
FROM tasks t
WHERE t.id = $1 AND t.organization_id = $3 AND t.removed_at IS NULL
FOR UPDATE OF t
"""
_ITEM_FACTS = """
SELECT t.project_id, t.assignee_id, t.reviewer_id, pm.role
FROM data_items i
LEFT JOIN tasks t ON t.data_item_id = i.id AND t.removed_at IS NULL
LEFT JOIN project_members pm ON pm.project_id = t.project_id AND pm.user_id = $2
WHERE i.id = $1 AND i.organization_id = $3
"""
