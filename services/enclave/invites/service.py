"""Issues invitations and accepts them: the accepted invitation becomes a member of the organization
and a Keycloak account with the password the person chose (Keycloak's password policy applies). An
invitation works once: accepting locks its row, checks it is unused and unexpired, and marks it used
in the same transaction that creates the member. Must never store a token (only its hash), nor build
a query (rows come from the invites, members and organizations repositories).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction
from enclave.audit.recorder import AuditRecorder, RequestFacts
from enclave.authz.principal import Principal
from enclave.db.models import Invite as InviteRow
from enclave.db.models import OrgMembership, User
from enclave.db.models.base import new_id
from enclave.db.repositories.invites import InviteRepository
from enclave.db.repositories.members import MemberRepository
from enclave.db.repositories.organizations import OrganizationRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import Conflict, InvalidInput, Unavailable
from enclave.identity.keycloak_admin import PasswordRejected
from enclave.identity.login import login_url
from enclave.identity.realms import RealmService
from enclave.invites.schemas import Invite, InviteAccept, InviteAccepted, InviteCreate, InviteCreated

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


_NOT_VALID = "This invitation is not valid: it is unknown, used or expired."


class InviteService:
    def __init__(
        self, session: AsyncSession, organization_id: uuid.UUID, realms: RealmService | None = None
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.invites = InviteRepository(session, organization_id)
        self.members = MemberRepository(session, organization_id)
        self.organizations = OrganizationRepository(session, organization_id)
        #: Keycloak's admin side, where an accepted invitation's account is made (None: not configured).
        self.realms = realms

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

    async def accept(self, token: str, display_name: str, password: str) -> tuple[uuid.UUID, str]:
        """Creates the member and their Keycloak account; returns the user id and the realm."""
        row = await self.invites.by_token_hash(digest(token), for_update=True)
        now = dt.datetime.now(dt.UTC)
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidInput(_NOT_VALID)
        if await self.members.email_taken(row.email):
            raise Conflict("A member with this e-mail address already exists.")
        realms = self.realms
        if realms is None:
            raise Unavailable("Sign-in is not configured, so invitations cannot be accepted.")
        slug = await self.organizations.slug()
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


async def accept_invitation(
    sessions: async_sessionmaker[AsyncSession],
    realms: RealmService | None,
    public_url: str,
    data: InviteAccept,
    facts: Callable[[uuid.UUID, str], RequestFacts],
) -> InviteAccepted:
    """Accepts an invitation from someone who has no account yet (so outside the guard and the
    request's session): in a transaction of its own, bound to the organization the token names, with
    its audit event (``facts``: the request's, for an organization and an actor) in the same one."""
    organization_id = organization_of(data.token)
    if organization_id is None:
        raise InvalidInput(_NOT_VALID)
    async with sessions() as session, session.begin():
        await bind_tenant(session, organization_id)
        service = InviteService(session, organization_id, realms)
        user_id, realm = await service.accept(data.token, data.display_name, data.password)
        actor = f"user:{user_id}"
        await AuditRecorder(session, facts(organization_id, actor)).record(
            AuditAction.ORG_INVITE_ACCEPT, actor
        )
    return InviteAccepted(user_id, login_url(public_url, realm))
