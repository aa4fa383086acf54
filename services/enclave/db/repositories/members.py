"""Members: every query on ``org_memberships`` and ``users``, scoped to the caller's organization. Owns
a member (the user row and its membership, read and written together), the page of members a caller may
see, the facts the member rules need (an e-mail taken, the active Admins, a project managed) and the
accounts a sign-in binds to (by issuer and subject, or by e-mail before the first sign-in). Must never
read or write a row of another organization: every statement names ``organization_id``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select

from enclave.authz.policy import Visibility
from enclave.db.models import OrgMembership, ProjectMember, User
from enclave.db.repositories.base import TenantRepository, visibility_filter
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

    def visible_to(self, visibility: Visibility, user_id: uuid.UUID, role: OrgRole | None) -> Select[Any]:
        """The memberships ``visibility`` shows ``user_id``, optionally of one role."""
        grounds = {
            "own": OrgMembership.user_id == user_id,
            "org_roles": OrgMembership.role.in_(visibility.org_roles),
        }
        statement = self.select().where(visibility_filter(visibility, grounds))
        if role is not None:
            statement = statement.where(OrgMembership.role == role)
        return statement

    async def page_members(
        self, visibility: Visibility, user_id: uuid.UUID, role: OrgRole | None, cursor: str | None, limit: int
    ) -> Page[OrgMembership]:
        """A page of the members ``visibility`` shows ``user_id``, optionally of one role."""
        return await page(
            self.session, self.visible_to(visibility, user_id, role), OrgMembership, cursor, limit
        )

    async def users_by_id(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
        statement = self._users().where(User.id.in_(ids))
        return {user.id: user for user in (await self.session.execute(statement)).scalars()}

    def _users(self) -> Select[Any]:
        return select(User).where(User.organization_id == self.organization_id)

    async def user_by_subject(self, issuer: str, subject: str) -> User | None:
        """The account a Keycloak identity is bound to."""
        statement = self._users().where(User.issuer == issuer, User.subject == subject)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def unbound_user_by_email(self, email: str) -> User | None:
        """The account with ``email`` that no identity is bound to yet (created or invited, never
        signed in)."""
        statement = self._users().where(User.email == email, User.subject.is_(None))
        return (await self.session.execute(statement)).scalar_one_or_none()

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
