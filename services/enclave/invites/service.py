"""Issues invitations and accepts them: the accepted invitation becomes a member of the organization
and a Keycloak account with the password the person chose (Keycloak's password policy applies).

An invitation works once: accepting locks its row, checks it is unused and unexpired, and marks it
used in the same transaction that creates the member.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.principal import Principal
from enclave.db.models import Invite as InviteRow
from enclave.db.models import Organization, OrgMembership, User
from enclave.db.models.base import new_id
from enclave.db.repositories.base import TenantRepository
from enclave.db.repositories.members import MemberRepository
from enclave.domain.errors import Conflict, InvalidInput, Unavailable
from enclave.identity.realms import PasswordRejected, RealmService
from enclave.invites.schemas import Invite, InviteCreate, InviteCreated

_TOKEN = re.compile(r"^inv_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


def new_token(organization_id: uuid.UUID) -> str:
    return f"inv_{organization_id.hex}_{secrets.token_urlsafe(32)}"


def organization_of(token: str) -> uuid.UUID | None:
    match = _TOKEN.fullmatch(token)
    return uuid.UUID(hex=match.group(1)) if match else None


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def to_schema(row: InviteRow) -> Invite:
    return Invite(row.id, row.email, row.role, row.expires_at, row.used_at, row.created_at)


class InviteRepository(TenantRepository[InviteRow]):
    model = InviteRow


class InviteService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id
        self.invites = InviteRepository(session, organization_id)
        self.members = MemberRepository(session, organization_id)

    async def create(self, inviter: Principal, data: InviteCreate) -> InviteCreated:
        email = data.email.lower()
        if await self.members.email_taken(email):
            raise Conflict("A member with this e-mail address already exists.")
        token = new_token(self.organization_id)
        row = self.invites.add(
            InviteRow(
                id=new_id(),
                email=email,
                role=data.role,
                token_hash=digest(token),
                created_by=inviter.user_id,
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=data.valid_hours),
            )
        )
        await self.session.flush()
        return InviteCreated(to_schema(row), token)

    async def accept(
        self, token: str, display_name: str, password: str, realms: RealmService | None
    ) -> tuple[uuid.UUID, str]:
        """Creates the member and their Keycloak account; returns the user id and the realm."""
        statement = self.invites.select().where(InviteRow.token_hash == digest(token)).with_for_update()
        row = (await self.session.execute(statement)).scalar_one_or_none()
        now = dt.datetime.now(dt.UTC)
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidInput("This invitation is not valid: it is unknown, used or expired.")
        if await self.members.email_taken(row.email):
            raise Conflict("A member with this e-mail address already exists.")
        if realms is None:
            raise Unavailable("Sign-in is not configured, so invitations cannot be accepted.")
        slug = (
            await self.session.execute(
                select(Organization.slug).where(Organization.id == self.organization_id)
            )
        ).scalar_one()
        first, _, last = display_name.partition(" ")
        try:
            await asyncio.to_thread(
                realms.create_user,
                slug,
                email=row.email,
                first_name=first,
                last_name=last or first,
                password=password,
                temporary_password=False,
            )
        except PasswordRejected as rejected:
            raise InvalidInput("The password does not meet the organization's password policy.") from rejected
        user = self.members.add_user(User(id=new_id(), email=row.email, display_name=display_name))
        await self.session.flush()
        self.members.add(OrgMembership(id=new_id(), user_id=user.id, role=row.role))
        row.used_at = now
        await self.session.flush()
        return user.id, slug
