"""Adds, reads, changes and removes organization members: a change is checked against ``If-Match``
and the member rules (one active Admin always, no Tasker who manages a project); removal disables
the account (its history stays). Must never build a query (rows come from ``MemberRepository``) nor
hand an ORM row to a controller: it returns ``members.schemas``."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.policy import Visibility
from enclave.authz.principal import Principal
from enclave.db.models import OrgMembership, User
from enclave.db.models.base import new_id
from enclave.db.repositories.members import MemberRepository
from enclave.domain.errors import Conflict, InvalidState, NotFound
from enclave.domain.roles import OrgRole
from enclave.members.schemas import Member, MemberCreate, MemberPage, MemberUpdate
from enclave.web.http import check_if_match


def to_schema(membership: OrgMembership, user: User) -> Member:
    return Member(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=membership.role,
        disabled=user.disabled,
        version=membership.version,
        created_at=membership.created_at,
    )


class MemberService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.repo = MemberRepository(session, organization_id)

    async def _get(self, user_id: uuid.UUID) -> tuple[OrgMembership, User]:
        found = await self.repo.get_member(user_id)
        if found is None:
            raise NotFound("No such member.")
        return found

    async def read(self, user_id: uuid.UUID) -> Member:
        return to_schema(*await self._get(user_id))

    async def list(
        self, caller: Principal, visibility: Visibility, role: OrgRole | None, cursor: str | None, limit: int
    ) -> MemberPage:
        """The members the caller may see (the policy's ``visible``), optionally of one role."""
        result = await self.repo.page_members(visibility, caller.user_id, role, cursor, limit)
        users = await self.repo.users_by_id([m.user_id for m in result.items])
        return MemberPage([to_schema(m, users[m.user_id]) for m in result.items], result.next_cursor)

    async def create(self, data: MemberCreate) -> Member:
        email = data.email.lower()
        if await self.repo.email_taken(email):
            raise Conflict("A member with this e-mail address already exists.")
        user = self.repo.add_user(User(id=new_id(), email=email, display_name=data.display_name))
        await self.session.flush()
        membership = self.repo.add(OrgMembership(id=new_id(), user_id=user.id, role=data.role))
        await self.session.flush()
        return to_schema(membership, user)

    async def update(self, user_id: uuid.UUID, change: MemberUpdate, if_match: str | None) -> Member:
        """Changes a member based on the version ``if_match`` names (the guard holds the membership
        locked for update since it decided)."""
        membership, user = await self._get(user_id)
        check_if_match(if_match, membership.version)
        if change.role is not msgspec.UNSET:
            await self._keep_an_admin(membership, change.role)
            if change.role is OrgRole.TASKER and await self.repo.manages_a_project(user.id):
                raise InvalidState(
                    "This member manages a project; change their project roles before making them a Tasker."
                )
            membership.role = change.role
        if change.display_name is not msgspec.UNSET:
            user.display_name = change.display_name
        await self.session.flush()
        return to_schema(membership, user)

    async def remove(self, user_id: uuid.UUID) -> None:
        membership, user = await self._get(user_id)
        await self._keep_an_admin(membership, None)
        user.disabled = True
        await self.session.flush()

    async def _keep_an_admin(self, membership: OrgMembership, new_role: OrgRole | None) -> None:
        """An organization always keeps one active Admin: nobody could manage it otherwise."""
        if (
            membership.role is OrgRole.ADMIN
            and new_role is not OrgRole.ADMIN
            and await self.repo.active_admins() <= 1
        ):
            raise InvalidState("This is the organization's last Admin; make someone else Admin first.")
