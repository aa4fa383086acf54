"""Every permission a route can name: ``<scope>:<resource>:<action>``, kept sorted.

The scope says what a check needs to know: ``org`` permissions need only the caller's organization,
``project`` permissions their role in the project, ``task`` permissions also whether the task is
assigned to them.
"""

from __future__ import annotations

import enum


class Permission(enum.StrEnum):
    ORG_API_KEY_CREATE = "org:api_key:create"
    ORG_API_KEY_LIST = "org:api_key:list"
    ORG_API_KEY_READ = "org:api_key:read"
    ORG_API_KEY_REVOKE = "org:api_key:revoke"
    ORG_AUDIT_EXPORT = "org:audit:export"
    ORG_AUDIT_READ = "org:audit:read"
    ORG_DATASET_CREATE = "org:dataset:create"
    ORG_DATASET_IMPORT = "org:dataset:import"
    ORG_DATASET_READ = "org:dataset:read"
    ORG_IDENTITY_PROVIDER_LIST = "org:identity_provider:list"
    ORG_KEY_READ = "org:key:read"
    ORG_KEY_ROTATE = "org:key:rotate"
    ORG_MEMBER_CREATE = "org:member:create"
    ORG_MEMBER_LIST = "org:member:list"
    ORG_MEMBER_READ = "org:member:read"
    ORG_MEMBER_REMOVE = "org:member:remove"
    ORG_MEMBER_UPDATE = "org:member:update"
    ORG_MY_TASK_LIST = "org:my_task:list"
    ORG_ONTOLOGY_CREATE = "org:ontology:create"
    ORG_ONTOLOGY_READ = "org:ontology:read"
    ORG_ONTOLOGY_UPDATE = "org:ontology:update"
    ORG_ORGANIZATION_READ = "org:organization:read"
    ORG_ORGANIZATION_TERMINATE = "org:organization:terminate"
    ORG_ORGANIZATION_UPDATE = "org:organization:update"
    ORG_PROJECT_CREATE = "org:project:create"
    ORG_PROJECT_LIST = "org:project:list"
    ORG_SELF_READ = "org:self:read"
    PROJECT_DATASET_ATTACH = "project:dataset:attach"
    PROJECT_DATASET_LIST = "project:dataset:list"
    PROJECT_MEMBER_ADD = "project:member:add"
    PROJECT_MEMBER_LIST = "project:member:list"
    PROJECT_MEMBER_REMOVE = "project:member:remove"
    PROJECT_MEMBER_UPDATE = "project:member:update"
    PROJECT_PROJECT_EXPORT = "project:project:export"
    PROJECT_PROJECT_READ = "project:project:read"
    PROJECT_PROJECT_UPDATE = "project:project:update"
    PROJECT_TASK_CREATE = "project:task:create"
    PROJECT_TASK_LIST = "project:task:list"
    PROJECT_TASK_NEXT = "project:task:next"
    PROJECT_WORKFLOW_READ = "project:workflow:read"
    TASK_ANNOTATION_READ = "task:annotation:read"
    TASK_CONTENT_READ = "task:content:read"
    TASK_ANNOTATION_SUBMIT = "task:annotation:submit"
    #: Save and read back one's own draft of a task (whoever may submit it).
    TASK_DRAFT_KEEP = "task:draft:keep"
    TASK_REVIEW_DECIDE = "task:review:decide"
    TASK_REVIEW_READ = "task:review:read"
    TASK_TASK_ASSIGN = "task:task:assign"
    TASK_TASK_READ = "task:task:read"
    TASK_TASK_REMOVE = "task:task:remove"

    @property
    def scope(self) -> str:
        return self.value.split(":", 1)[0]
