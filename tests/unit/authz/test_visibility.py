"""``visible`` reads the same rules as ``can``: a list shows exactly the rows ``can`` lets the caller
read one by one. Held together over every org role, project role, kind of credential and row."""

from __future__ import annotations

import itertools
import uuid

import pytest

from enclave.authz.permissions import Permission as P
from enclave.authz.policy import NOTHING, Visibility, can, visible
from enclave.authz.principal import Principal, Resource
from enclave.authz.scopes import SCOPE_OF
from enclave.domain.roles import OrgRole, ProjectRole

ORG = uuid.UUID(int=1)
ME = uuid.UUID(int=2)
SOMEONE = uuid.UUID(int=3)
PROJECT = uuid.UUID(int=4)
OTHER_PROJECT = uuid.UUID(int=5)
PROJECT_ROLES: tuple[ProjectRole | None, ...] = (None, *ProjectRole)
PEOPLE = (ME, SOMEONE, None)

#: The permission that reads one row of each list whose rows differ by caller.
WITHIN_A_PROJECT = (P.TASK_TASK_READ,)
ACROSS_PROJECTS = (P.PROJECT_PROJECT_READ,)
ABOUT_MEMBERS = (P.ORG_MEMBER_READ, P.ORG_API_KEY_READ)


def principals(permission: P) -> list[Principal]:
    """Every org role, signed in; and, where a key may use the permission, as a key restricted to a
    project (a key's scopes are the guard's business, so these keys carry all of them)."""
    people = [Principal(ME, ORG, role) for role in OrgRole]
    if permission in SCOPE_OF:
        people += [
            Principal(ME, ORG, role, via="api_key", scopes=frozenset({"admin"}), project_id=PROJECT)
            for role in OrgRole
        ]
    return people


@pytest.mark.parametrize("permission", WITHIN_A_PROJECT)
def test_a_list_within_a_project_shows_what_can_allows(permission: P) -> None:
    for principal, role in itertools.product(principals(permission), PROJECT_ROLES):
        visibility = visible(principal, permission, role, in_project=True)
        for project, assignee, reviewer in itertools.product((PROJECT, OTHER_PROJECT), PEOPLE, PEOPLE):
            row = Resource(
                ORG, project_id=project, project_role=role, assignee_id=assignee, reviewer_id=reviewer
            )
            assert visibility.admits(principal, row) == can(principal, permission, row), (
                principal,
                role,
                row,
            )


@pytest.mark.parametrize("permission", ACROSS_PROJECTS)
def test_a_list_across_projects_shows_what_can_allows(permission: P) -> None:
    for principal in principals(permission):
        visibility = visible(principal, permission)
        for project, role in itertools.product((PROJECT, OTHER_PROJECT), PROJECT_ROLES):
            row = Resource(ORG, project_id=project, project_role=role)
            assert visibility.admits(principal, row) == can(principal, permission, row), (principal, row)


@pytest.mark.parametrize("permission", ABOUT_MEMBERS)
def test_a_list_of_members_or_keys_shows_what_can_allows(permission: P) -> None:
    for principal in principals(permission):
        visibility = visible(principal, permission)
        for user, role in itertools.product((ME, SOMEONE), OrgRole):
            row = Resource(ORG, target_user_id=user, target_org_role=role)
            assert visibility.admits(principal, row) == can(principal, permission, row), (principal, row)


class TestWhatEachCallerSees:
    def test_org_admins_see_every_task(self) -> None:
        admin = Principal(ME, ORG, OrgRole.ADMIN)
        assert visible(admin, P.TASK_TASK_READ, in_project=True) == Visibility(everything=True)

    def test_project_managers_see_every_task_of_their_project(self) -> None:
        member = Principal(ME, ORG, OrgRole.MEMBER)
        managing = visible(member, P.TASK_TASK_READ, ProjectRole.TEAM_MANAGER, in_project=True)
        assert managing == Visibility(everything=True)

    def test_annotators_and_reviewers_see_their_own_work(self) -> None:
        member = Principal(ME, ORG, OrgRole.MEMBER)
        assert visible(member, P.TASK_TASK_READ, ProjectRole.ANNOTATOR, in_project=True) == Visibility(
            assigned=True
        )
        assert visible(member, P.TASK_TASK_READ, ProjectRole.REVIEWER, in_project=True) == Visibility(
            reviewing=True
        )
        assert visible(member, P.TASK_TASK_READ, None, in_project=True) is NOTHING
        both = visible(member, P.TASK_TASK_READ, ProjectRole.ANNOTATOR_REVIEWER, in_project=True)
        assert both == Visibility(assigned=True, reviewing=True)

    def test_a_tasker_holding_a_managing_role_sees_nothing_by_it(self) -> None:
        tasker = Principal(ME, ORG, OrgRole.TASKER)
        assert visible(tasker, P.TASK_TASK_READ, ProjectRole.TEAM_MANAGER, in_project=True) is NOTHING
        assert visible(tasker, P.PROJECT_PROJECT_READ).project_roles == frozenset(
            {ProjectRole.ANNOTATOR, ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER}
        )

    def test_workforce_managers_see_taskers_and_themselves(self) -> None:
        manager = Principal(ME, ORG, OrgRole.WORKFORCE_MANAGER)
        assert visible(manager, P.ORG_MEMBER_READ) == Visibility(
            own=True, org_roles=frozenset({OrgRole.TASKER})
        )

    def test_members_see_their_own_api_keys(self) -> None:
        assert visible(Principal(ME, ORG, OrgRole.MEMBER), P.ORG_API_KEY_READ) == Visibility(own=True)

    def test_a_project_restricted_key_sees_its_project_only(self) -> None:
        key = Principal(
            ME, ORG, OrgRole.ADMIN, via="api_key", scopes=frozenset({"admin"}), project_id=PROJECT
        )
        assert visible(key, P.TASK_TASK_READ, in_project=True) == Visibility(
            everything=True, project_id=PROJECT
        )

    def test_a_permission_without_a_rule_shows_nothing(self) -> None:
        assert visible(Principal(ME, ORG, OrgRole.ADMIN), "no:such:permission") is NOTHING  # type: ignore[arg-type]
