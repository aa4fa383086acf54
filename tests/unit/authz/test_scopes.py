"""Unit tests of API key scopes (``enclave.authz.scopes``) as ``can`` applies them: every permission but
key management needs a known scope; a key with scope X allows exactly what X (or no scope at all) is
needed for, ``admin`` covers everything a key may do; a key never manages keys, never exceeds its
owner's current rights, and a project-restricted key reaches only its project's resources (and who it
is). Principals are built directly, as the guard builds them for a verified key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.authz.permissions import Permission as P
from enclave.authz.policy import can
from enclave.authz.principal import Principal, Resource
from enclave.authz.scopes import SCOPE_OF, UNRESTRICTED, Scope
from enclave.domain.roles import OrgRole, ProjectRole

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ME = uuid.UUID("00000000-0000-4000-8000-000000000001")
SOMEONE_ELSE = uuid.UUID("00000000-0000-4000-8000-000000000002")
PROJECT = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
OTHER_PROJECT = uuid.UUID("00000000-0000-4000-8000-0000000000f2")

KEY_MANAGEMENT = frozenset(
    {P.ORG_API_KEY_CREATE, P.ORG_API_KEY_LIST, P.ORG_API_KEY_READ, P.ORG_API_KEY_REVOKE}
)
KEYED = sorted(SCOPE_OF)  # every permission a key may be used for at all
EVERY_SCOPE = frozenset(Scope)
#: Permissions that only org Admins hold by their org role alone.
ADMIN_ONLY = [
    P.ORG_ORGANIZATION_UPDATE,
    P.ORG_MEMBER_LIST,
    P.ORG_MEMBER_CREATE,
    P.ORG_ONTOLOGY_CREATE,
    P.ORG_ONTOLOGY_UPDATE,
    P.ORG_DATASET_READ,
    P.ORG_DATASET_CREATE,
    P.ORG_DATASET_IMPORT,
    P.ORG_PROJECT_CREATE,
]
#: (owner role, permission) pairs the owner does not hold: Workforce Managers list members themselves.
NOT_THEIRS = [
    (role, permission)
    for role in (OrgRole.TASKER, OrgRole.MEMBER, OrgRole.WORKFORCE_MANAGER)
    for permission in ADMIN_ONLY
    if (role, permission) != (OrgRole.WORKFORCE_MANAGER, P.ORG_MEMBER_LIST)
]


def session(org_role: OrgRole = OrgRole.ADMIN) -> Principal:
    return Principal(ME, ORG, org_role)


def key(
    scopes: Iterable[str],
    org_role: OrgRole = OrgRole.ADMIN,
    project_id: uuid.UUID | None = None,
) -> Principal:
    return Principal(ME, ORG, org_role, via="api_key", scopes=frozenset(scopes), project_id=project_id)


def everything_mine(project_id: uuid.UUID | None = None) -> Resource:
    """A resource on which an org Admin who also annotates and reviews may do every permission:
    assigned to them both ways, about themselves, in a project where they annotate and review."""
    return Resource(
        organization_id=ORG,
        project_id=project_id,
        project_role=ProjectRole.ANNOTATOR_REVIEWER,
        assignee_id=ME,
        reviewer_id=ME,
        target_user_id=ME,
        target_org_role=OrgRole.ADMIN,
    )


class TestScopeTable:
    def test_every_permission_but_key_management_needs_a_known_scope(self) -> None:
        assert set(P) - set(SCOPE_OF) == KEY_MANAGEMENT
        assert set(SCOPE_OF) <= set(P)
        assert {s for s in SCOPE_OF.values() if s is not None} <= set(Scope)

    def test_key_management_permissions_are_the_org_api_key_ones(self) -> None:
        assert {p for p in P if p.value.startswith("org:api_key:")} == KEY_MANAGEMENT
        assert not KEY_MANAGEMENT & set(SCOPE_OF)

    def test_only_knowing_who_it_is_needs_no_scope(self) -> None:
        assert {p for p, s in SCOPE_OF.items() if s is None} == UNRESTRICTED
        assert {P.ORG_ORGANIZATION_READ, P.ORG_SELF_READ} == UNRESTRICTED

    def test_every_scope_is_needed_by_something(self) -> None:
        assert set(SCOPE_OF.values()) - {None} == set(Scope)


class TestKeysNeverManageKeys:
    @pytest.mark.parametrize("permission", sorted(KEY_MANAGEMENT))
    def test_a_key_with_every_scope_is_denied_what_its_owner_may(self, permission: P) -> None:
        mine = everything_mine()
        assert can(session(OrgRole.ADMIN), permission, mine)  # the owner, signed in, may
        assert not can(key(EVERY_SCOPE), permission, mine)
        assert not can(key(EVERY_SCOPE, project_id=PROJECT), permission, everything_mine(PROJECT))

    @pytest.mark.parametrize("permission", sorted(KEY_MANAGEMENT))
    @pytest.mark.parametrize("org_role", list(OrgRole))
    def test_for_every_owner_role(self, permission: P, org_role: OrgRole) -> None:
        assert not can(key(EVERY_SCOPE, org_role), permission, everything_mine())


class TestScopesNarrow:
    """For an owner who holds every right (an org Admin, annotating and reviewing the task), a key's
    scopes alone decide."""

    def test_the_owner_holds_every_right_a_key_could_use(self) -> None:
        # Otherwise the tests below would test the owner's rights, not the key's scopes.
        assert [p for p in KEYED if not can(session(), p, everything_mine())] == []

    @pytest.mark.parametrize("scope", sorted(Scope))
    def test_a_key_allows_exactly_what_its_scope_is_needed_for(self, scope: Scope) -> None:
        allowed = {p for p in P if can(key({scope}), p, everything_mine())}
        if scope is Scope.ADMIN:
            assert allowed == set(SCOPE_OF)
        else:
            assert allowed == {p for p, needed in SCOPE_OF.items() if needed in (None, scope)}

    def test_admin_covers_every_scope(self) -> None:
        for permission in KEYED:
            assert can(key({Scope.ADMIN}), permission, everything_mine()), permission

    def test_scopes_add_up(self) -> None:
        scopes = {Scope.TASKS_READ, Scope.ANNOTATIONS_WRITE}
        allowed = {p for p in P if can(key(scopes), p, everything_mine())}
        assert allowed == {p for p, needed in SCOPE_OF.items() if needed is None or needed in scopes}

    def test_a_key_without_scopes_only_knows_who_it_is(self) -> None:
        assert {p for p in P if can(key(set()), p, everything_mine())} == UNRESTRICTED

    def test_an_unknown_scope_counts_for_nothing(self) -> None:
        assert {p for p in P if can(key({"tasks:*", "ADMIN", ""}), p, everything_mine())} == UNRESTRICTED

    def test_a_session_has_no_scopes_to_narrow_it(self) -> None:
        # ``scopes=None`` is not a key: the owner's full rights, key management included.
        assert {p for p in P if can(session(), p, everything_mine())} == set(P)


class TestKeysNeverExceedTheirOwner:
    @pytest.mark.parametrize(("org_role", "permission"), NOT_THEIRS)
    def test_an_admin_scoped_key_of_a_non_admin_gets_no_admin_rights(
        self, org_role: OrgRole, permission: P
    ) -> None:
        resource = Resource(organization_id=ORG, target_user_id=SOMEONE_ELSE, target_org_role=OrgRole.MEMBER)
        assert can(key({Scope.ADMIN}, OrgRole.ADMIN), permission, resource)
        assert not can(key({Scope.ADMIN}, org_role), permission, resource)

    def test_a_taskers_admin_key_does_not_manage_their_project(self) -> None:
        # A Tasker holding a managing project role (never given by the api) still manages nothing.
        managed = Resource(organization_id=ORG, project_id=PROJECT, project_role=ProjectRole.ADMIN)
        for permission in (P.PROJECT_TASK_CREATE, P.PROJECT_MEMBER_ADD, P.PROJECT_PROJECT_UPDATE):
            assert not can(key(EVERY_SCOPE, OrgRole.TASKER), permission, managed), permission

    def test_an_annotators_key_does_not_submit_someone_elses_task(self) -> None:
        theirs = Resource(
            organization_id=ORG,
            project_id=PROJECT,
            project_role=ProjectRole.ANNOTATOR,
            assignee_id=SOMEONE_ELSE,
            reviewer_id=SOMEONE_ELSE,
        )
        assert not can(key(EVERY_SCOPE, OrgRole.MEMBER), P.TASK_ANNOTATION_SUBMIT, theirs)
        assert can(
            key({Scope.ANNOTATIONS_WRITE}, OrgRole.MEMBER),
            P.TASK_ANNOTATION_SUBMIT,
            replace(theirs, assignee_id=ME),
        )

    @given(
        org_role=st.sampled_from(OrgRole),
        permission=st.sampled_from(P),
        scopes=st.frozensets(st.sampled_from(Scope)),
        restricted_to=st.sampled_from([None, PROJECT]),
        project_id=st.sampled_from([None, PROJECT, OTHER_PROJECT]),
        project_role=st.sampled_from([None, *ProjectRole]),
        assignee=st.sampled_from([None, ME, SOMEONE_ELSE]),
        reviewer=st.sampled_from([None, ME, SOMEONE_ELSE]),
        target=st.sampled_from([None, ME, SOMEONE_ELSE]),
        target_role=st.sampled_from([None, *OrgRole]),
        requested_role=st.sampled_from([None, *OrgRole]),
    )
    def test_whatever_a_key_may_its_owner_may(
        self,
        org_role: OrgRole,
        permission: P,
        scopes: frozenset[str],
        restricted_to: uuid.UUID | None,
        project_id: uuid.UUID | None,
        project_role: ProjectRole | None,
        assignee: uuid.UUID | None,
        reviewer: uuid.UUID | None,
        target: uuid.UUID | None,
        target_role: OrgRole | None,
        requested_role: OrgRole | None,
    ) -> None:
        resource = Resource(
            organization_id=ORG,
            project_id=project_id,
            project_role=project_role,
            assignee_id=assignee,
            reviewer_id=reviewer,
            target_user_id=target,
            target_org_role=target_role,
            requested_org_role=requested_role,
        )
        if can(key(scopes, org_role, restricted_to), permission, resource):
            assert can(session(org_role), permission, resource)
            assert permission in SCOPE_OF


class TestProjectRestriction:
    @pytest.mark.parametrize("permission", KEYED)
    def test_allowed_on_its_own_projects_resources(self, permission: P) -> None:
        assert can(key({Scope.ADMIN}, project_id=PROJECT), permission, everything_mine(PROJECT))

    @pytest.mark.parametrize("permission", sorted(set(KEYED) - UNRESTRICTED))
    def test_denied_on_another_projects_resources(self, permission: P) -> None:
        restricted = key({Scope.ADMIN}, project_id=PROJECT)
        assert can(key({Scope.ADMIN}), permission, everything_mine(OTHER_PROJECT))  # unrestricted may
        assert not can(restricted, permission, everything_mine(OTHER_PROJECT))

    @pytest.mark.parametrize("permission", sorted(set(KEYED) - UNRESTRICTED))
    def test_denied_org_level_permissions(self, permission: P) -> None:
        # Organization-wide targets (members, datasets, ontologies, lists, creations) have no project.
        restricted = key({Scope.ADMIN}, project_id=PROJECT)
        assert can(key({Scope.ADMIN}), permission, everything_mine(None))
        assert not can(restricted, permission, everything_mine(None))

    @pytest.mark.parametrize("permission", sorted(UNRESTRICTED))
    @pytest.mark.parametrize("where", [None, PROJECT, OTHER_PROJECT], ids=["org", "own", "other"])
    def test_still_knows_who_it_is_everywhere(self, permission: P, where: uuid.UUID | None) -> None:
        restricted = key({Scope.TASKS_READ}, OrgRole.TASKER, project_id=PROJECT)
        assert can(restricted, permission, everything_mine(where))

    def test_the_restriction_does_not_widen_the_scopes(self) -> None:
        restricted = key({Scope.TASKS_READ}, project_id=PROJECT)
        assert can(restricted, P.TASK_TASK_READ, everything_mine(PROJECT))
        assert not can(restricted, P.TASK_ANNOTATION_SUBMIT, everything_mine(PROJECT))
        assert not can(restricted, P.PROJECT_TASK_CREATE, everything_mine(PROJECT))
