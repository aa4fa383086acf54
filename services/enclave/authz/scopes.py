"""API key scopes, and which scope each permission needs.

An API key acts for its owner, never beyond: the policy first asks whether the owner (with their
roles *now*) may do the thing, then whether the key's scopes and project restriction cover it. A
permission missing from ``SCOPE_OF`` cannot be exercised with an API key at all (key management
above all: a key never mints or revokes keys).
"""

from __future__ import annotations

import enum

from enclave.authz.permissions import Permission as P


class Scope(enum.StrEnum):
    ADMIN = "admin"
    ANNOTATIONS_WRITE = "annotations:write"
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    REVIEWS_WRITE = "reviews:write"
    TASKS_READ = "tasks:read"
    TASKS_WRITE = "tasks:write"


#: ``None``: any key may (reading who it is and its organization).
SCOPE_OF: dict[P, Scope | None] = {
    P.ORG_ORGANIZATION_READ: None,
    P.ORG_SELF_READ: None,
    P.ORG_MY_TASK_LIST: Scope.TASKS_READ,
    P.ORG_ORGANIZATION_UPDATE: Scope.ADMIN,
    P.ORG_ORGANIZATION_TERMINATE: Scope.ADMIN,
    P.ORG_KEY_READ: Scope.ADMIN,
    P.ORG_IDENTITY_PROVIDER_LIST: Scope.ADMIN,
    P.ORG_AUDIT_READ: Scope.ADMIN,
    P.ORG_AUDIT_EXPORT: Scope.ADMIN,
    P.ORG_KEY_ROTATE: Scope.ADMIN,
    P.ORG_MEMBER_LIST: Scope.ADMIN,
    P.ORG_MEMBER_READ: Scope.ADMIN,
    P.ORG_MEMBER_CREATE: Scope.ADMIN,
    P.ORG_MEMBER_UPDATE: Scope.ADMIN,
    P.ORG_MEMBER_REMOVE: Scope.ADMIN,
    P.ORG_ONTOLOGY_READ: Scope.TASKS_READ,
    P.ORG_ONTOLOGY_CREATE: Scope.ADMIN,
    P.ORG_ONTOLOGY_UPDATE: Scope.ADMIN,
    P.ORG_DATASET_READ: Scope.DATA_READ,
    P.ORG_DATASET_CREATE: Scope.DATA_WRITE,
    P.ORG_DATASET_IMPORT: Scope.DATA_WRITE,
    P.ORG_PROJECT_LIST: Scope.TASKS_READ,
    P.ORG_PROJECT_CREATE: Scope.ADMIN,
    P.PROJECT_PROJECT_READ: Scope.TASKS_READ,
    P.PROJECT_PROJECT_UPDATE: Scope.ADMIN,
    P.PROJECT_PROJECT_EXPORT: Scope.DATA_READ,
    P.PROJECT_MEMBER_LIST: Scope.ADMIN,
    P.PROJECT_MEMBER_ADD: Scope.ADMIN,
    P.PROJECT_MEMBER_UPDATE: Scope.ADMIN,
    P.PROJECT_MEMBER_REMOVE: Scope.ADMIN,
    P.PROJECT_DATASET_ATTACH: Scope.DATA_WRITE,
    P.PROJECT_DATASET_LIST: Scope.DATA_READ,
    P.PROJECT_TASK_CREATE: Scope.TASKS_WRITE,
    P.PROJECT_TASK_LIST: Scope.TASKS_READ,
    P.PROJECT_TASK_NEXT: Scope.TASKS_WRITE,
    P.PROJECT_WORKFLOW_READ: Scope.TASKS_READ,
    P.TASK_TASK_READ: Scope.TASKS_READ,
    P.TASK_TASK_ASSIGN: Scope.TASKS_WRITE,
    P.TASK_TASK_REMOVE: Scope.TASKS_WRITE,
    P.TASK_ANNOTATION_READ: Scope.TASKS_READ,
    P.TASK_CONTENT_READ: Scope.DATA_READ,
    P.TASK_ANNOTATION_SUBMIT: Scope.ANNOTATIONS_WRITE,
    P.TASK_DRAFT_KEEP: Scope.ANNOTATIONS_WRITE,
    P.TASK_REVIEW_READ: Scope.TASKS_READ,
    P.TASK_REVIEW_DECIDE: Scope.REVIEWS_WRITE,
}
#: Permissions a project-restricted key keeps outside its project: none but knowing who it is.
UNRESTRICTED = frozenset({P.ORG_ORGANIZATION_READ, P.ORG_SELF_READ})
