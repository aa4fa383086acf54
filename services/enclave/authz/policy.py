"""The whole authorization rule set, in one table, and the two functions that read it.

``can(principal, permission, resource)`` answers True only when a rule says so: a permission with no
rule, a resource of another organization, or a fact the rule needs that is missing all answer
False. ``visible(principal, permission)`` reads the same rule for a list: which of its rows ``can``
would let the caller read, as a filter a repository applies, so that a rule is written once for one
row and for many. Rules are data (``RULES``); read them top to bottom as the platform's access policy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from enclave.authz.permissions import Permission as P
from enclave.authz.principal import Principal, Resource
from enclave.authz.scopes import SCOPE_OF, UNRESTRICTED, Scope
from enclave.domain.roles import OrgRole, ProjectRole

ADMIN = OrgRole.ADMIN
WFM = OrgRole.WORKFORCE_MANAGER
MEMBER = OrgRole.MEMBER
TASKER = OrgRole.TASKER
EVERY_ORG_ROLE = frozenset(OrgRole)

P_ADMIN = ProjectRole.ADMIN
TEAM_MANAGER = ProjectRole.TEAM_MANAGER
ANNOTATOR = ProjectRole.ANNOTATOR
REVIEWER = ProjectRole.REVIEWER
ANNOTATOR_REVIEWER = ProjectRole.ANNOTATOR_REVIEWER
EVERY_PROJECT_ROLE = frozenset(ProjectRole)
MANAGERS = frozenset({P_ADMIN, TEAM_MANAGER})
ANNOTATING = frozenset({ANNOTATOR, ANNOTATOR_REVIEWER})
REVIEWING = frozenset({REVIEWER, ANNOTATOR_REVIEWER})
WORKERS = ANNOTATING | REVIEWING


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may: any of these grounds is enough."""

    #: Org roles allowed outright, in any project of their organization (org Admins' oversight).
    org_roles: frozenset[OrgRole] = frozenset()
    #: Project roles allowed for anything in that project.
    project_roles: frozenset[ProjectRole] = frozenset()
    #: Project roles allowed only on a task assigned to the caller to annotate.
    as_assignee: frozenset[ProjectRole] = frozenset()
    #: Project roles allowed only on a task assigned to the caller to review.
    as_reviewer: frozenset[ProjectRole] = frozenset()
    #: Workforce Managers manage Taskers: allowed when the target member is (and stays) a Tasker.
    workforce_over_taskers: bool = False
    #: Team Managers manage the project's workers: allowed when the member is (and stays) one.
    team_manager_over_workers: bool = False
    #: The member the action is about may do it to themselves.
    self_: bool = False


def _task_visibility() -> Rule:
    return Rule(
        org_roles=frozenset({ADMIN}), project_roles=MANAGERS, as_assignee=ANNOTATING, as_reviewer=REVIEWING
    )


def _team_management() -> Rule:
    return Rule(
        org_roles=frozenset({ADMIN}), project_roles=frozenset({P_ADMIN}), team_manager_over_workers=True
    )


RULES: dict[P, Rule] = {
    # Organization
    P.ORG_ORGANIZATION_READ: Rule(org_roles=EVERY_ORG_ROLE),
    P.ORG_ORGANIZATION_UPDATE: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_ORGANIZATION_TERMINATE: Rule(org_roles=frozenset({ADMIN})),
    # The organization's key in the customer's KMS: only org Admins see its state or rotate it.
    P.ORG_KEY_READ: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_IDENTITY_PROVIDER_LIST: Rule(org_roles=frozenset({ADMIN})),
    # The organization's audit trail: its Admins search, verify and export it.
    P.ORG_AUDIT_READ: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_AUDIT_EXPORT: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_KEY_ROTATE: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_SELF_READ: Rule(org_roles=EVERY_ORG_ROLE),
    P.ORG_MY_TASK_LIST: Rule(org_roles=EVERY_ORG_ROLE),
    # API keys: everyone makes their own (a key only narrows its owner's rights); Admins revoke any.
    P.ORG_API_KEY_CREATE: Rule(org_roles=EVERY_ORG_ROLE),
    P.ORG_API_KEY_LIST: Rule(org_roles=EVERY_ORG_ROLE),
    # Which keys a caller sees (the rows of the list): Admins every key, everyone else their own.
    P.ORG_API_KEY_READ: Rule(org_roles=frozenset({ADMIN}), self_=True),
    P.ORG_API_KEY_REVOKE: Rule(org_roles=frozenset({ADMIN}), self_=True),
    # Members: Admins manage everyone, Workforce Managers manage Taskers, everyone may read themselves.
    P.ORG_MEMBER_LIST: Rule(org_roles=frozenset({ADMIN, WFM})),
    P.ORG_MEMBER_READ: Rule(org_roles=frozenset({ADMIN}), workforce_over_taskers=True, self_=True),
    P.ORG_MEMBER_CREATE: Rule(org_roles=frozenset({ADMIN}), workforce_over_taskers=True),
    P.ORG_MEMBER_UPDATE: Rule(org_roles=frozenset({ADMIN}), workforce_over_taskers=True),
    P.ORG_MEMBER_REMOVE: Rule(org_roles=frozenset({ADMIN}), workforce_over_taskers=True),
    # Ontologies: only org Admins change them; those who set up projects may read them.
    P.ORG_ONTOLOGY_READ: Rule(org_roles=frozenset({ADMIN, WFM, MEMBER})),
    P.ORG_ONTOLOGY_CREATE: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_ONTOLOGY_UPDATE: Rule(org_roles=frozenset({ADMIN})),
    # Datasets hold customer data: org Admins manage them; projects reach them through tasks.
    P.ORG_DATASET_READ: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_DATASET_CREATE: Rule(org_roles=frozenset({ADMIN})),
    P.ORG_DATASET_IMPORT: Rule(org_roles=frozenset({ADMIN})),
    # Projects: everyone may list (the list shows only their projects); org Admins create.
    P.ORG_PROJECT_LIST: Rule(org_roles=EVERY_ORG_ROLE),
    P.ORG_PROJECT_CREATE: Rule(org_roles=frozenset({ADMIN})),
    P.PROJECT_PROJECT_READ: Rule(org_roles=frozenset({ADMIN}), project_roles=EVERY_PROJECT_ROLE),
    P.PROJECT_PROJECT_UPDATE: Rule(org_roles=frozenset({ADMIN}), project_roles=frozenset({P_ADMIN})),
    # Project members and work: only Admins and Team Managers assign work, import, export or remove.
    P.PROJECT_MEMBER_LIST: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    # Project Admins manage the team; Team Managers manage annotators and reviewers, never managers.
    P.PROJECT_MEMBER_ADD: _team_management(),
    P.PROJECT_MEMBER_UPDATE: _team_management(),
    P.PROJECT_MEMBER_REMOVE: _team_management(),
    P.PROJECT_DATASET_ATTACH: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    P.PROJECT_DATASET_LIST: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    P.PROJECT_TASK_CREATE: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    # The whole project, labels included, leaves in one file: its managers only.
    P.PROJECT_PROJECT_EXPORT: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    # Every project member may list tasks; the list shows annotators and reviewers only their own.
    P.PROJECT_TASK_LIST: Rule(org_roles=frozenset({ADMIN}), project_roles=EVERY_PROJECT_ROLE),
    P.PROJECT_TASK_NEXT: Rule(project_roles=ANNOTATING | REVIEWING),
    # The workflow's settings (its sample's seed among them): those who run the project. Changing
    # them is updating the project.
    P.PROJECT_WORKFLOW_READ: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    # Tasks: managers see all; annotators and reviewers only what is assigned to them.
    P.TASK_TASK_READ: _task_visibility(),
    P.TASK_ANNOTATION_READ: _task_visibility(),
    # An item's content: whoever may see a task on it (and org Admins, who manage datasets).
    P.TASK_CONTENT_READ: _task_visibility(),
    P.TASK_REVIEW_READ: _task_visibility(),
    P.TASK_TASK_ASSIGN: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    P.TASK_TASK_REMOVE: Rule(org_roles=frozenset({ADMIN}), project_roles=MANAGERS),
    P.TASK_ANNOTATION_SUBMIT: Rule(as_assignee=ANNOTATING),
    P.TASK_DRAFT_KEEP: Rule(as_assignee=ANNOTATING),
    P.TASK_REVIEW_DECIDE: Rule(as_reviewer=REVIEWING),
}


def can(principal: Principal, permission: P, resource: Resource) -> bool:
    """Whether ``principal`` may do ``permission`` on ``resource``. Deny unless a rule allows."""
    if resource.organization_id != principal.organization_id:
        return False
    if principal.scopes is not None and not _key_covers(principal, permission, resource):
        return False
    rule = RULES.get(permission)
    if rule is None:
        return False
    if principal.org_role in rule.org_roles:
        return True
    role = resource.project_role
    if principal.org_role is TASKER and role is not None and role.manages:
        # Taskers see and do only work assigned to them: a managing project role never counts for one.
        role = None
    if role is not None:
        if role in rule.project_roles:
            return True
        if role in rule.as_assignee and resource.assignee_id == principal.user_id:
            return True
        if role in rule.as_reviewer and resource.reviewer_id == principal.user_id:
            return True
    if rule.self_ and resource.target_user_id == principal.user_id:
        return True
    if rule.team_manager_over_workers and role is TEAM_MANAGER and _workers_only(resource):
        return True
    return rule.workforce_over_taskers and _workforce_over_tasker(principal, resource)


@dataclass(frozen=True, slots=True)
class Visibility:
    """The rows of a list a caller may see: those on which ``can`` allows the permission that reads
    one row. Any one ground is enough; none at all is an empty list. Repositories turn it into a
    filter; ``admits`` is the same test on one row's facts, so that tests hold the two together."""

    #: Every row (of the project the list is within, for lists within a project).
    everything: bool = False
    #: Rows of the projects in which the caller holds one of these roles (lists across projects).
    project_roles: frozenset[ProjectRole] = frozenset()
    #: Rows assigned to the caller to annotate, and to review.
    assigned: bool = False
    reviewing: bool = False
    #: Rows about the caller themselves (their API keys, their own membership).
    own: bool = False
    #: Members whose org role is one of these (Workforce Managers see Taskers).
    org_roles: frozenset[OrgRole] = frozenset()
    #: An API key restricted to one project sees that project's rows only.
    project_id: uuid.UUID | None = None

    @property
    def nothing(self) -> bool:
        grounds = (
            self.everything,
            self.project_roles,
            self.assigned,
            self.reviewing,
            self.own,
            self.org_roles,
        )
        return not any(grounds)

    def admits(self, principal: Principal, row: Resource) -> bool:
        """Whether this row is in the list (``row.project_role`` being the caller's role in its project)."""
        if self.project_id is not None and row.project_id != self.project_id:
            return False
        return (
            self.everything
            or row.project_role in self.project_roles
            or (self.assigned and row.assignee_id == principal.user_id)
            or (self.reviewing and row.reviewer_id == principal.user_id)
            or (self.own and row.target_user_id == principal.user_id)
            or row.target_org_role in self.org_roles
        )


NOTHING = Visibility()


def visible(
    principal: Principal, permission: P, project_role: ProjectRole | None = None, *, in_project: bool = False
) -> Visibility:
    """Which rows ``can(principal, permission, row)`` allows, as a filter. For a list within one
    project (``in_project``), ``project_role`` is the caller's role in it (None: they hold none); for
    a list across projects the rows are those of projects where the caller holds a role the rule
    names. The list route's own permission (and an API key's scope for it) is the guard's business;
    this reads the row's."""
    rule = RULES.get(permission)
    if rule is None:
        return NOTHING
    restricted = (
        principal.project_id if principal.scopes is not None and permission not in UNRESTRICTED else None
    )
    if principal.org_role in rule.org_roles:
        return Visibility(everything=True, project_id=restricted)
    tasker = principal.org_role is TASKER
    # Taskers see and do only work assigned to them: a managing project role never counts for one.
    counted = frozenset(r for r in ProjectRole if not (tasker and r.manages))
    role = project_role if project_role in counted else None
    if role is not None and role in rule.project_roles:
        return Visibility(everything=True, project_id=restricted)
    visibility = Visibility(
        project_roles=frozenset() if in_project else rule.project_roles & counted,
        assigned=role in rule.as_assignee,
        reviewing=role in rule.as_reviewer,
        own=rule.self_,
        org_roles=frozenset({TASKER})
        if rule.workforce_over_taskers and principal.org_role is WFM
        else frozenset(),
        project_id=restricted,
    )
    return NOTHING if visibility.nothing else visibility


def _key_covers(principal: Principal, permission: P, resource: Resource) -> bool:
    """An API key's scopes and project restriction narrow its owner's rights; they never add any."""
    scopes = principal.scopes or frozenset()
    if permission not in SCOPE_OF:
        return False
    needed = SCOPE_OF[permission]
    if needed is not None and needed not in scopes and Scope.ADMIN not in scopes:
        return False
    if principal.project_id is not None and permission not in UNRESTRICTED:
        return resource.project_id == principal.project_id
    return True


def _workers_only(resource: Resource) -> bool:
    """The project member acted on is an annotator or reviewer, and stays one."""
    return resource.target_project_role in (None, *WORKERS) and resource.requested_project_role in WORKERS | {
        None
    }


def _workforce_over_tasker(principal: Principal, resource: Resource) -> bool:
    if principal.org_role is not WFM or resource.target_org_role is not TASKER:
        return False
    return resource.requested_org_role in (None, TASKER)
