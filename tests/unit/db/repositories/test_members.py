"""The members statements (``enclave.db.repositories.members``): each names the caller's
organization, the member list shows the members its visibility says, and each fact the member rules
and a sign-in read is the one its name says."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from enclave.authz.policy import Visibility
from enclave.db.models import OrgMembership, User
from enclave.db.repositories.members import MemberRepository
from enclave.domain.roles import OrgRole
from tests.unit.db.repositories.recording import NoRows, RecordingSession, sql

ORG = uuid.UUID(int=1)
USER = uuid.UUID(int=2)
OTHER = uuid.UUID(int=3)
PROJECT = uuid.UUID(int=4)
ISSUER = "https://login.example/realms/acme"

MEMBERSHIPS = f"org_memberships.organization_id = '{ORG}'"
USERS = f"users.organization_id = '{ORG}'"


class Counted(NoRows):
    def scalar_one(self) -> int:
        return 2


class Session(RecordingSession):
    """Records statements, counts two of whatever is counted, and keeps the objects added."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[Any] = []

    def add(self, obj: Any) -> None:
        self.added.append(obj)

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Counted:
        await super().execute(statement, *args, **kwargs)
        return Counted()


@pytest.fixture
def db() -> Session:
    return Session()


class TestOneMember:
    async def test_a_member_is_their_membership_and_their_account(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).get_member(USER) is None
        assert "FROM org_memberships JOIN users ON users.id = org_memberships.user_id" in db.last
        assert MEMBERSHIPS in db.last
        assert f"org_memberships.user_id = '{USER}'" in db.last
        assert "FOR " not in db.last  # the guard holds the membership a change acts on


class TestVisibleTo:
    def visible(self, db: Session, visibility: Visibility, role: OrgRole | None = None) -> str:
        return sql(MemberRepository(db.session, ORG).visible_to(visibility, USER, role))

    def test_everything_is_every_member_of_the_tenant(self, db: Session) -> None:
        shown = self.visible(db, Visibility(everything=True))
        assert shown.endswith(f"FROM org_memberships WHERE {MEMBERSHIPS}")

    def test_org_roles_are_the_members_of_those_roles(self, db: Session) -> None:
        shown = self.visible(db, Visibility(org_roles=frozenset({OrgRole.TASKER})))
        assert MEMBERSHIPS in shown
        assert "org_memberships.role IN ('tasker')" in shown

    def test_own_is_the_callers_membership(self, db: Session) -> None:
        shown = self.visible(db, Visibility(own=True))
        assert MEMBERSHIPS in shown
        assert f"org_memberships.user_id = '{USER}'" in shown

    def test_a_role_asked_for_narrows_the_list(self, db: Session) -> None:
        shown = self.visible(db, Visibility(org_roles=frozenset({OrgRole.TASKER})), OrgRole.MEMBER)
        assert "org_memberships.role IN ('tasker')" in shown
        assert "org_memberships.role = 'member'" in shown

    def test_a_key_restricted_to_a_project_sees_none(self, db: Session) -> None:
        assert "false" in self.visible(db, Visibility(everything=True, project_id=PROJECT)).lower()

    def test_no_ground_shows_nothing(self, db: Session) -> None:
        assert "false" in self.visible(db, Visibility()).lower()

    async def test_a_page_is_in_creation_order(self, db: Session) -> None:
        visibility = Visibility(org_roles=frozenset({OrgRole.TASKER}))
        page = await MemberRepository(db.session, ORG).page_members(visibility, USER, None, None, 50)
        assert page.items == []
        assert page.next_cursor is None
        assert MEMBERSHIPS in db.last
        assert "org_memberships.role IN ('tasker')" in db.last
        assert db.last.endswith("ORDER BY org_memberships.created_at, org_memberships.id LIMIT 51")


class TestAccounts:
    async def test_users_by_id_are_the_tenants(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).users_by_id([USER, OTHER]) == {}
        assert USERS in db.last
        assert f"users.id IN ('{USER}', '{OTHER}')" in db.last

    async def test_an_email_is_taken_within_the_tenant(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).email_taken("ada@acme.example") is False
        assert db.last.startswith("SELECT users.id FROM users WHERE")
        assert USERS in db.last
        assert "users.email = 'ada@acme.example'" in db.last

    async def test_a_signed_in_identity_is_bound_by_issuer_and_subject(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).user_by_subject(ISSUER, "sub-1") is None
        assert USERS in db.last
        assert f"users.issuer = '{ISSUER}'" in db.last
        assert "users.subject = 'sub-1'" in db.last

    async def test_a_first_sign_in_finds_an_unbound_account_by_email(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).unbound_user_by_email("ada@acme.example") is None
        assert USERS in db.last
        assert "users.email = 'ada@acme.example'" in db.last
        assert "users.subject IS NULL" in db.last

    def test_a_new_account_is_stamped_with_the_tenant(self, db: Session) -> None:
        user = MemberRepository(db.session, ORG).add_user(User(email="ada@acme.example", display_name="Ada"))
        assert user.organization_id == ORG
        assert db.added == [user]

    def test_a_new_membership_is_stamped_with_the_tenant(self, db: Session) -> None:
        membership = MemberRepository(db.session, ORG).add(OrgMembership(user_id=USER, role=OrgRole.ADMIN))
        assert membership.organization_id == ORG
        assert db.added == [membership]


class TestMemberRules:
    async def test_active_admins_are_counted_in_the_tenant(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).active_admins() == 2
        assert db.last.startswith("SELECT count(*) AS count_1 FROM org_memberships JOIN users")
        assert MEMBERSHIPS in db.last
        assert "org_memberships.role = 'admin'" in db.last
        assert "users.disabled IS false" in db.last

    async def test_a_project_managed_is_an_admin_or_team_manager_role(self, db: Session) -> None:
        assert await MemberRepository(db.session, ORG).manages_a_project(USER) is False
        assert f"project_members.organization_id = '{ORG}'" in db.last
        assert f"project_members.user_id = '{USER}'" in db.last
        assert "project_members.role IN ('admin', 'team_manager')" in db.last
        assert db.last.endswith("LIMIT 1")
