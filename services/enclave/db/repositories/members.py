"""Members: a user row and its org membership, read and written together."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select

from enclave.db.models import OrgMembership, ProjectMember, User
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.pages import Page, page
from enclave.domain.roles import OrgRole, ProjectRole


class MemberRepository(TenantRepository[OrgMembership]):
    model = OrgMembership

    def _joined(self) -> Select[Any]:
        joined = select(OrgMembership, User).join(User, User.id == OrgMembership.user_id)
        return self.scoped(joined)  # type: ignore[arg-type]  # a two-entity Select is still a Select

    async def get_member(self, user_id: uuid.UUID) -> tuple[OrgMembership, User] | None:
        row = (await self.session.execute(self._joined().where(OrgMembership.user_id == user_id))).first()
        return None if row is None else (row[0], row[1])

    async def page_members(self, role: OrgRole | None, cursor: str | None, limit: int) -> Page[OrgMembership]:
        statement = self.select()
        if role is not None:
            statement = statement.where(OrgMembership.role == role)
        return await page(self.session, statement, OrgMembership, cursor, limit)

    async def users_by_id(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
        statement = select(User).where(User.organization_id == self.organization_id, User.id.in_(ids))
        return {user.id: user for user in (await self.session.execute(statement)).scalars()}

    async def email_taken(self, email: str) -> bool:
        statement = select(User.id).where(User.organization_id == self.organization_id, User.email == email)
        return (await self.session.execute(statement)).first() is not None

    async def active_admins(self) -> int:
        statement = (
            select(func.count())
            .select_from(OrgMembership)
            .join(User, User.id == OrgMembership.user_id)
            .where(
                OrgMembership.organization_id == self.organization_id,
                OrgMembership.role == OrgRole.ADMIN,
                User.disabled.is_(False),
            )
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def manages_a_project(self, user_id: uuid.UUID) -> bool:
        statement = select(ProjectMember.id).where(
            ProjectMember.organization_id == self.organization_id,
            ProjectMember.user_id == user_id,
            ProjectMember.role.in_([ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER]),
        )
        return (await self.session.execute(statement.limit(1))).first() is not None

    def add_user(self, user: User) -> User:
        user.organization_id = self.organization_id
        self.session.add(user)
        return user
