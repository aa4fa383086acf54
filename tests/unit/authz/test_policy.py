"""Unit tests of ``enclave.authz.policy.can``, the one authorization decision: that every permission has a
rule and anything without one is denied, that another organization's resources are always denied, and
that each ground of a rule (org role, project role, assignee, reviewer, workforce manager over taskers,
self) allows exactly what the product rules say and no more. ``TestProductRules`` checks ``can`` against
a table written from the product brief, independently of ``RULES``; these tests never touch a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from itertools import product
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.authz import policy
from enclave.authz.permissions import Permission as P
from enclave.authz.policy import RULES, Rule, can
from enclave.authz.principal import Principal, Resource
from enclave.domain.roles import OrgRole, ProjectRole

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-00000000000b")
ME = uuid.UUID("00000000-0000-4000-8000-000000000001")
SOMEONE_ELSE = uuid.UUID("00000000-0000-4000-8000-000000000002")

PROJECT_ROLE_OR_NONE: list[ProjectRole | None] = [None, *ProjectRole]
NOT_ADMIN = [OrgRole.WORKFORCE_MANAGER, OrgRole.MEMBER, OrgRole.TASKER]
MANAGERS = [ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER]
WORKERS = [ProjectRole.ANNOTATOR, ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER]
TASK_VISIBILITY = [P.TASK_TASK_READ, P.TASK_ANNOTATION_READ, P.TASK_REVIEW_READ]
TASK_MANAGEMENT = [P.TASK_TASK_ASSIGN, P.TASK_TASK_REMOVE, P.PROJECT_TASK_CREATE]
MEMBER_MANAGEMENT = [P.ORG_MEMBER_CREATE, P.ORG_MEMBER_UPDATE, P.ORG_MEMBER_REMOVE, P.ORG_MEMBER_READ]


def caller(org_role: OrgRole = OrgRole.MEMBER, *, organization_id: uuid.UUID = ORG) -> Principal:
    return Principal(user_id=ME, organization_id=organization_id, org_role=org_role)


def target(**facts: object) -> Resource:
    """A resource of the caller's organization with the given facts."""
    return Resource(organization_id=ORG, **facts)  # type: ignore[arg-type]


def task(
    project_role: ProjectRole | None, *, assignee: uuid.UUID | None = None, reviewer: uuid.UUID | None = None
) -> Resource:
    """A task of the caller's organization; ``None`` for nobody assigned."""
    return target(project_role=project_role, assignee_id=assignee, reviewer_id=reviewer)


def someone_elses_task(project_role: ProjectRole | None) -> Resource:
    return task(project_role, assignee=SOMEONE_ELSE, reviewer=SOMEONE_ELSE)


def member(role: OrgRole, *, requested: OrgRole | None = None, user_id: uuid.UUID = SOMEONE_ELSE) -> Resource:
    return target(target_user_id=user_id, target_org_role=role, requested_org_role=requested)


def everything_mine(organization_id: uuid.UUID, project_role: ProjectRole | None) -> Resource:
    """A resource on which every conditional ground points at the caller: the most a rule could allow."""
    return Resource(
        organization_id=organization_id,
        project_role=project_role,
        assignee_id=ME,
        reviewer_id=ME,
        target_user_id=ME,
        target_org_role=OrgRole.TASKER,
        requested_org_role=None,
    )


class TestRuleTable:
    def test_every_permission_has_a_rule(self) -> None:
        assert set(P) - set(RULES) == set()

    def test_every_rule_is_for_a_known_permission(self) -> None:
        assert all(isinstance(permission, P) for permission in RULES)
        assert all(isinstance(rule, Rule) for rule in RULES.values())


class TestDenyByDefault:
    @pytest.mark.parametrize("permission", list(P))
    def test_a_permission_without_a_rule_is_denied_to_everyone(
        self, permission: P, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delitem(policy.RULES, permission)
        for org_role, project_role in product(OrgRole, PROJECT_ROLE_OR_NONE):
            assert not can(caller(org_role), permission, everything_mine(ORG, project_role))

    def test_an_empty_rule_allows_no_one(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(policy.RULES, P.ORG_ORGANIZATION_READ, Rule())
        for org_role, project_role in product(OrgRole, PROJECT_ROLE_OR_NONE):
            assert not can(caller(org_role), P.ORG_ORGANIZATION_READ, everything_mine(ORG, project_role))

    @pytest.mark.parametrize("org_role", NOT_ADMIN)
    def test_an_org_member_outside_the_project_gets_no_project_permission(self, org_role: OrgRole) -> None:
        for permission in (p for p in P if p.scope in {"project", "task"}):
            assert not can(caller(org_role), permission, everything_mine(ORG, None))


class TestCrossTenant:
    @pytest.mark.parametrize(
        ("permission", "org_role", "project_role"), list(product(P, OrgRole, PROJECT_ROLE_OR_NONE))
    )
    def test_another_organizations_resource_is_always_denied(
        self, permission: P, org_role: OrgRole, project_role: ProjectRole | None
    ) -> None:
        assert not can(caller(org_role), permission, everything_mine(OTHER_ORG, project_role))

    def test_the_same_facts_in_the_callers_organization_are_allowed(self) -> None:
        # The denial above is the tenant check, not a resource no one could act on.
        assert can(caller(OrgRole.ADMIN), P.TASK_TASK_READ, everything_mine(ORG, None))
        assert not can(caller(OrgRole.ADMIN), P.TASK_TASK_READ, everything_mine(OTHER_ORG, None))


class TestOrgAdminOversight:
    @pytest.mark.parametrize(
        "permission",
        [
            *TASK_VISIBILITY,
            *TASK_MANAGEMENT,
            P.PROJECT_PROJECT_READ,
            P.PROJECT_PROJECT_UPDATE,
            P.PROJECT_MEMBER_ADD,
            P.PROJECT_MEMBER_LIST,
            P.PROJECT_MEMBER_REMOVE,
            P.PROJECT_MEMBER_UPDATE,
            P.PROJECT_DATASET_ATTACH,
            P.PROJECT_TASK_LIST,
        ],
    )
    def test_an_org_admin_acts_in_a_project_they_are_not_a_member_of(self, permission: P) -> None:
        assert can(caller(OrgRole.ADMIN), permission, someone_elses_task(None))

    @pytest.mark.parametrize(
        "permission", [P.TASK_ANNOTATION_SUBMIT, P.TASK_REVIEW_DECIDE, P.PROJECT_TASK_NEXT]
    )
    def test_oversight_is_not_doing_the_work_of_others(self, permission: P) -> None:
        assert not can(caller(OrgRole.ADMIN), permission, someone_elses_task(None))


class TestTaskAssignment:
    @pytest.mark.parametrize("permission", [*TASK_VISIBILITY, P.TASK_ANNOTATION_SUBMIT])
    @pytest.mark.parametrize("role", [ProjectRole.ANNOTATOR, ProjectRole.ANNOTATOR_REVIEWER])
    @pytest.mark.parametrize("org_role", NOT_ADMIN)
    def test_an_annotator_acts_only_on_tasks_assigned_to_them(
        self, permission: P, role: ProjectRole, org_role: OrgRole
    ) -> None:
        assert can(caller(org_role), permission, task(role, assignee=ME, reviewer=SOMEONE_ELSE))
        assert not can(caller(org_role), permission, someone_elses_task(role))
        assert not can(caller(org_role), permission, task(role))

    @pytest.mark.parametrize("permission", [*TASK_VISIBILITY, P.TASK_REVIEW_DECIDE])
    @pytest.mark.parametrize("role", [ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER])
    @pytest.mark.parametrize("org_role", NOT_ADMIN)
    def test_a_reviewer_acts_only_on_tasks_they_review(
        self, permission: P, role: ProjectRole, org_role: OrgRole
    ) -> None:
        assert can(caller(org_role), permission, task(role, assignee=SOMEONE_ELSE, reviewer=ME))
        assert not can(caller(org_role), permission, someone_elses_task(role))
        assert not can(caller(org_role), permission, task(role))

    @pytest.mark.parametrize("permission", TASK_VISIBILITY)
    def test_an_annotator_named_reviewer_gains_nothing(self, permission: P) -> None:
        assert not can(caller(), permission, task(ProjectRole.ANNOTATOR, assignee=SOMEONE_ELSE, reviewer=ME))

    @pytest.mark.parametrize("permission", TASK_VISIBILITY)
    def test_a_reviewer_named_assignee_gains_nothing(self, permission: P) -> None:
        assert not can(caller(), permission, task(ProjectRole.REVIEWER, assignee=ME, reviewer=SOMEONE_ELSE))

    def test_a_reviewer_does_not_annotate_and_an_annotator_does_not_review(self) -> None:
        mine = task(ProjectRole.REVIEWER, assignee=ME, reviewer=ME)
        assert not can(caller(), P.TASK_ANNOTATION_SUBMIT, mine)
        assert not can(caller(), P.TASK_REVIEW_DECIDE, task(ProjectRole.ANNOTATOR, assignee=ME, reviewer=ME))

    def test_an_annotator_reviewer_does_both_on_the_matching_task(self) -> None:
        role = ProjectRole.ANNOTATOR_REVIEWER
        assert can(caller(), P.TASK_ANNOTATION_SUBMIT, task(role, assignee=ME, reviewer=SOMEONE_ELSE))
        assert not can(caller(), P.TASK_REVIEW_DECIDE, task(role, assignee=ME, reviewer=SOMEONE_ELSE))
        assert can(caller(), P.TASK_REVIEW_DECIDE, task(role, assignee=SOMEONE_ELSE, reviewer=ME))
        assert not can(caller(), P.TASK_ANNOTATION_SUBMIT, task(role, assignee=SOMEONE_ELSE, reviewer=ME))

    @pytest.mark.parametrize("permission", [*TASK_VISIBILITY, P.TASK_ANNOTATION_SUBMIT, P.TASK_REVIEW_DECIDE])
    def test_being_assigned_without_a_project_role_is_not_enough(self, permission: P) -> None:
        # A removed project member may still be named on old tasks; that gives them nothing.
        assert not can(caller(OrgRole.TASKER), permission, task(None, assignee=ME, reviewer=ME))

    @pytest.mark.parametrize("role", WORKERS)
    def test_every_worker_may_ask_for_their_next_task_and_list_their_own(self, role: ProjectRole) -> None:
        assert can(caller(OrgRole.TASKER), P.PROJECT_TASK_NEXT, target(project_role=role))
        assert can(caller(OrgRole.TASKER), P.PROJECT_TASK_LIST, target(project_role=role))


class TestManagers:
    @pytest.mark.parametrize("permission", TASK_MANAGEMENT)
    @pytest.mark.parametrize("role", MANAGERS)
    @pytest.mark.parametrize("org_role", [r for r in OrgRole if r is not OrgRole.TASKER])
    def test_project_admins_and_team_managers_manage_tasks(
        self, permission: P, role: ProjectRole, org_role: OrgRole
    ) -> None:
        assert can(caller(org_role), permission, someone_elses_task(role))

    @pytest.mark.parametrize("permission", TASK_MANAGEMENT)
    @pytest.mark.parametrize("role", MANAGERS)
    def test_a_managing_role_counts_for_nothing_for_a_tasker(self, permission: P, role: ProjectRole) -> None:
        assert not can(caller(OrgRole.TASKER), permission, someone_elses_task(role))

    @pytest.mark.parametrize("permission", TASK_MANAGEMENT)
    def test_org_admins_manage_tasks_in_any_project(self, permission: P) -> None:
        assert can(caller(OrgRole.ADMIN), permission, someone_elses_task(None))

    @pytest.mark.parametrize("permission", TASK_MANAGEMENT)
    @pytest.mark.parametrize("role", [*WORKERS, None])
    @pytest.mark.parametrize("org_role", NOT_ADMIN)
    def test_no_one_else_manages_tasks_not_even_their_own(
        self, permission: P, role: ProjectRole | None, org_role: OrgRole
    ) -> None:
        assert not can(caller(org_role), permission, task(role, assignee=ME, reviewer=ME))

    @pytest.mark.parametrize("role", WORKERS)
    def test_workers_do_not_manage_project_membership_or_data(self, role: ProjectRole) -> None:
        for permission in (P.PROJECT_MEMBER_ADD, P.PROJECT_MEMBER_UPDATE, P.PROJECT_DATASET_ATTACH):
            assert not can(caller(OrgRole.MEMBER), permission, target(project_role=role))

    def test_only_a_project_admin_updates_the_project(self) -> None:
        assert can(caller(), P.PROJECT_PROJECT_UPDATE, target(project_role=ProjectRole.ADMIN))
        assert not can(caller(), P.PROJECT_PROJECT_UPDATE, target(project_role=ProjectRole.TEAM_MANAGER))


class TestWorkforceManager:
    wfm = caller(OrgRole.WORKFORCE_MANAGER)

    def test_creates_a_tasker(self) -> None:
        new_tasker = target(target_org_role=OrgRole.TASKER, requested_org_role=OrgRole.TASKER)
        assert can(self.wfm, P.ORG_MEMBER_CREATE, new_tasker)

    @pytest.mark.parametrize("role", [OrgRole.MEMBER, OrgRole.WORKFORCE_MANAGER, OrgRole.ADMIN, None])
    def test_creates_nothing_but_a_tasker(self, role: OrgRole | None) -> None:
        assert not can(self.wfm, P.ORG_MEMBER_CREATE, target(target_org_role=role, requested_org_role=role))

    @pytest.mark.parametrize("permission", [P.ORG_MEMBER_READ, P.ORG_MEMBER_UPDATE, P.ORG_MEMBER_REMOVE])
    @pytest.mark.parametrize("requested", [None, OrgRole.TASKER])
    def test_reads_updates_and_removes_a_tasker_who_stays_one(
        self, permission: P, requested: OrgRole | None
    ) -> None:
        assert can(self.wfm, permission, member(OrgRole.TASKER, requested=requested))

    @pytest.mark.parametrize("promotion", [OrgRole.MEMBER, OrgRole.WORKFORCE_MANAGER, OrgRole.ADMIN])
    def test_does_not_promote_a_tasker(self, promotion: OrgRole) -> None:
        assert not can(self.wfm, P.ORG_MEMBER_UPDATE, member(OrgRole.TASKER, requested=promotion))

    @pytest.mark.parametrize("permission", MEMBER_MANAGEMENT)
    @pytest.mark.parametrize("role", [OrgRole.MEMBER, OrgRole.WORKFORCE_MANAGER, OrgRole.ADMIN])
    @pytest.mark.parametrize("requested", [None, OrgRole.TASKER])
    def test_does_not_act_on_anyone_but_taskers(
        self, permission: P, role: OrgRole, requested: OrgRole | None
    ) -> None:
        # Including demoting a Member to Tasker: they are not a Tasker yet.
        assert not can(self.wfm, permission, member(role, requested=requested))

    def test_lists_members(self) -> None:
        assert can(self.wfm, P.ORG_MEMBER_LIST, target())

    @pytest.mark.parametrize("org_role", [OrgRole.MEMBER, OrgRole.TASKER])
    @pytest.mark.parametrize("permission", [P.ORG_MEMBER_CREATE, P.ORG_MEMBER_UPDATE, P.ORG_MEMBER_REMOVE])
    def test_other_roles_do_not_manage_taskers(self, org_role: OrgRole, permission: P) -> None:
        assert not can(caller(org_role), permission, member(OrgRole.TASKER))

    @pytest.mark.parametrize("permission", [P.ORG_ONTOLOGY_UPDATE, P.ORG_PROJECT_CREATE, P.TASK_TASK_ASSIGN])
    def test_managing_taskers_grants_nothing_else(self, permission: P) -> None:
        assert not can(self.wfm, permission, member(OrgRole.TASKER))

    @pytest.mark.parametrize("permission", [*MEMBER_MANAGEMENT, P.ORG_MEMBER_LIST])
    @pytest.mark.parametrize("role", list(OrgRole))
    def test_an_org_admin_manages_every_member(self, permission: P, role: OrgRole) -> None:
        assert can(caller(OrgRole.ADMIN), permission, member(role, requested=OrgRole.ADMIN))


class TestSelf:
    @pytest.mark.parametrize("org_role", list(OrgRole))
    def test_everyone_reads_their_own_member_record(self, org_role: OrgRole) -> None:
        assert can(caller(org_role), P.ORG_MEMBER_READ, member(org_role, user_id=ME))
        assert can(caller(org_role), P.ORG_SELF_READ, target())

    @pytest.mark.parametrize("org_role", [OrgRole.MEMBER, OrgRole.TASKER])
    def test_but_not_someone_elses(self, org_role: OrgRole) -> None:
        assert not can(caller(org_role), P.ORG_MEMBER_READ, member(org_role))
        assert not can(caller(org_role), P.ORG_MEMBER_READ, target())

    @pytest.mark.parametrize("org_role", NOT_ADMIN)
    @pytest.mark.parametrize("permission", [P.ORG_MEMBER_UPDATE, P.ORG_MEMBER_REMOVE])
    def test_nor_change_or_remove_themselves(self, org_role: OrgRole, permission: P) -> None:
        # A Workforce Manager is not a Tasker, so "over taskers" does not reach their own record either.
        for requested in (None, OrgRole.ADMIN):
            assert not can(caller(org_role), permission, member(org_role, requested=requested, user_id=ME))


# --- independent expectations: written from the product rules in the brief, never from RULES -------

Whose = Literal["someone else's", "assigned to me", "reviewed by me"]
ANNOTATES = {ProjectRole.ANNOTATOR, ProjectRole.ANNOTATOR_REVIEWER}
REVIEWS = {ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER}


def _effective(org_role: OrgRole, project_role: ProjectRole | None) -> ProjectRole | None:
    """Taskers annotate or review only: the api refuses them a managing project role, and a managing
    role recorded for one anyway (by hand, in the database) counts for nothing."""
    if org_role is OrgRole.TASKER and project_role in {ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER}:
        return None
    return project_role


def _manages(org_role: OrgRole, project_role: ProjectRole | None, whose: Whose) -> bool:
    """Only Admins and Team Managers assign work, import, export or remove tasks; org Admins anywhere."""
    return org_role is OrgRole.ADMIN or _effective(org_role, project_role) in {
        ProjectRole.ADMIN,
        ProjectRole.TEAM_MANAGER,
    }


def _sees_task(org_role: OrgRole, project_role: ProjectRole | None, whose: Whose) -> bool:
    """Taskers and Annotators see only tasks assigned to them; Reviewers the tasks they review."""
    role = _effective(org_role, project_role)
    allowed = (
        _manages(org_role, project_role, whose)
        or (whose == "assigned to me" and role in ANNOTATES)
        or (whose == "reviewed by me" and role in REVIEWS)
    )
    if org_role is OrgRole.TASKER:  # whatever their project role
        return allowed and whose != "someone else's"
    return allowed


def _changes_ontologies(org_role: OrgRole, project_role: ProjectRole | None, whose: Whose) -> bool:
    """Only org Admins change ontologies."""
    return org_role is OrgRole.ADMIN


EXPECTED: dict[P, Callable[[OrgRole, ProjectRole | None, Whose], bool]] = {
    P.PROJECT_TASK_CREATE: _manages,
    P.TASK_TASK_ASSIGN: _manages,
    P.TASK_TASK_REMOVE: _manages,
    P.TASK_TASK_READ: _sees_task,
    P.TASK_ANNOTATION_READ: _sees_task,
    P.ORG_ONTOLOGY_CREATE: _changes_ontologies,
    P.ORG_ONTOLOGY_UPDATE: _changes_ontologies,
}
WHOSE: dict[Whose, Callable[[ProjectRole | None], Resource]] = {
    "someone else's": someone_elses_task,
    "assigned to me": lambda role: task(role, assignee=ME, reviewer=SOMEONE_ELSE),
    "reviewed by me": lambda role: task(role, assignee=SOMEONE_ELSE, reviewer=ME),
}


def _product_cases() -> list[tuple[P, OrgRole, ProjectRole | None, Whose]]:
    return list(product(EXPECTED, OrgRole, PROJECT_ROLE_OR_NONE, WHOSE))


class TestProductRules:
    @pytest.mark.parametrize(("permission", "org_role", "project_role", "whose"), _product_cases())
    def test_can_agrees_with_the_product_rules(
        self, permission: P, org_role: OrgRole, project_role: ProjectRole | None, whose: Whose
    ) -> None:
        expected = EXPECTED[permission](org_role, project_role, whose)
        assert can(caller(org_role), permission, WHOSE[whose](project_role)) is expected


# --- properties --------------------------------------------------------------------------------------

ORG_IDS = st.sampled_from([ORG, OTHER_ORG, uuid.UUID(int=0)])
USER_IDS = st.sampled_from([ME, SOMEONE_ELSE, uuid.UUID(int=0)])
principals = st.builds(
    Principal,
    user_id=USER_IDS,
    organization_id=ORG_IDS,
    org_role=st.sampled_from(OrgRole),
    via=st.sampled_from(["session", "api_key", "test"]),
)
resources = st.builds(
    Resource,
    organization_id=ORG_IDS,
    project_role=st.none() | st.sampled_from(ProjectRole),
    assignee_id=st.none() | USER_IDS,
    reviewer_id=st.none() | USER_IDS,
    target_user_id=st.none() | USER_IDS,
    target_org_role=st.none() | st.sampled_from(OrgRole),
    requested_org_role=st.none() | st.sampled_from(OrgRole),
)


class TestProperties:
    @given(principal=principals, permission=st.sampled_from(P), resource=resources)
    def test_never_raises_and_answers_a_bool(
        self, principal: Principal, permission: P, resource: Resource
    ) -> None:
        assert can(principal, permission, resource) in (True, False)

    @given(principal=principals, permission=st.sampled_from(P), resource=resources)
    def test_never_allows_across_organizations(
        self, principal: Principal, permission: P, resource: Resource
    ) -> None:
        if resource.organization_id != principal.organization_id:
            assert can(principal, permission, resource) is False

    @given(principal=principals, permission=st.sampled_from(P), resource=resources)
    def test_the_transport_does_not_matter(
        self, principal: Principal, permission: P, resource: Resource
    ) -> None:
        # How the caller authenticated never changes the answer; API key scopes narrow elsewhere.
        answers = {can(replace(principal, via=via), permission, resource) for via in ("session", "api_key")}
        assert len(answers) == 1


class TestTeamManagersOverWorkers:
    """Project Admins manage the whole team; Team Managers only annotators and reviewers."""

    PERMISSIONS = (P.PROJECT_MEMBER_ADD, P.PROJECT_MEMBER_UPDATE, P.PROJECT_MEMBER_REMOVE)
    WORKERS = (ProjectRole.ANNOTATOR, ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER)
    MANAGING = (ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER)

    @pytest.mark.parametrize("permission", PERMISSIONS)
    @pytest.mark.parametrize("current", [None, *WORKERS])
    @pytest.mark.parametrize("requested", [None, *WORKERS])
    def test_manage_workers(
        self, permission: P, current: ProjectRole | None, requested: ProjectRole | None
    ) -> None:
        resource = target(
            project_role=ProjectRole.TEAM_MANAGER,
            target_project_role=current,
            requested_project_role=requested,
        )
        assert can(caller(OrgRole.MEMBER), permission, resource)

    @pytest.mark.parametrize("permission", PERMISSIONS)
    @pytest.mark.parametrize("managing", MANAGING)
    def test_never_grant_or_touch_a_managing_role(self, permission: P, managing: ProjectRole) -> None:
        member = caller(OrgRole.MEMBER)
        granting = target(project_role=ProjectRole.TEAM_MANAGER, requested_project_role=managing)
        touching = target(project_role=ProjectRole.TEAM_MANAGER, target_project_role=managing)
        assert not can(member, permission, granting)
        assert not can(member, permission, touching)

    @pytest.mark.parametrize("permission", PERMISSIONS)
    @pytest.mark.parametrize("managing", MANAGING)
    def test_project_and_org_admins_manage_everyone(self, permission: P, managing: ProjectRole) -> None:
        resource = target(
            project_role=ProjectRole.ADMIN, target_project_role=managing, requested_project_role=managing
        )
        assert can(caller(OrgRole.MEMBER), permission, resource)
        assert can(caller(OrgRole.ADMIN), permission, replace(resource, project_role=None))

    @pytest.mark.parametrize("permission", PERMISSIONS)
    @pytest.mark.parametrize("worker", WORKERS)
    def test_workers_manage_nobody(self, permission: P, worker: ProjectRole) -> None:
        resource = target(project_role=worker, requested_project_role=ProjectRole.ANNOTATOR)
        assert not can(caller(OrgRole.MEMBER), permission, resource)
