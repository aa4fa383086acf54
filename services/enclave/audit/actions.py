"""Every action the trail records: ``<subject>:<object>:<verb>``, kept sorted. A name, once used,
keeps its meaning for ever: records signed years ago must still read the same."""

from __future__ import annotations

import enum


class AuditAction(enum.StrEnum):
    AUDIT_EVENT_MALFORMED = "audit:event:malformed"
    AUTH_CREDENTIAL_REMOVE = "auth:credential:remove"
    AUTH_CREDENTIAL_UPDATE = "auth:credential:update"
    AUTH_KEYCLOAK_LOGIN = "auth:keycloak:login"
    AUTH_KEYCLOAK_LOGOUT = "auth:keycloak:logout"
    AUTH_MFA_ENROLL = "auth:mfa:enroll"
    AUTH_MFA_REMOVE = "auth:mfa:remove"
    AUTH_PASSWORD_UPDATE = "auth:password:update"  # noqa: S105 - a name, not a secret  # nosec B105
    AUTH_SESSION_LOGIN = "auth:session:login"
    AUTH_SESSION_LOGOUT = "auth:session:logout"
    AUTH_SESSION_REVOKE = "auth:session:revoke"
    AUTH_TOKEN_EXCHANGE = "auth:token:exchange"  # noqa: S105 - a name, not a secret  # nosec B105
    AUTH_TOKEN_REFRESH = "auth:token:refresh"  # noqa: S105 - a name, not a secret  # nosec B105
    AUTH_USER_LOCK = "auth:user:lock"
    DATA_CONTENT_READ = "data:content:read"
    DATA_DATASET_CREATE = "data:dataset:create"
    DATA_ITEM_IMPORT = "data:item:import"
    DATA_ITEM_UPLOAD = "data:item:upload"
    ORG_API_KEY_ISSUE = "org:api_key:issue"
    ORG_AUDIT_EXPORT = "org:audit:export"
    ORG_API_KEY_REVOKE = "org:api_key:revoke"
    ORG_IDENTITY_PROVIDER_DELETE = "org:identity_provider:delete"
    ORG_IDENTITY_PROVIDER_PUT = "org:identity_provider:put"
    ORG_INVITE_ACCEPT = "org:invite:accept"
    ORG_INVITE_CREATE = "org:invite:create"
    ORG_KEY_ROTATE = "org:key:rotate"
    ORG_MEMBER_CREATE = "org:member:create"
    ORG_MEMBER_REMOVE = "org:member:remove"
    ORG_MEMBER_UPDATE = "org:member:update"
    ORG_ONTOLOGY_CREATE = "org:ontology:create"
    ORG_ONTOLOGY_VERSION = "org:ontology:version"
    ORG_ORGANIZATION_TERMINATE = "org:organization:terminate"
    ORG_ORGANIZATION_UPDATE = "org:organization:update"
    PROJECT_DATASET_ATTACH = "project:dataset:attach"
    PROJECT_EXPORT_DOWNLOAD = "project:export:download"
    PROJECT_EXPORT_FINISH = "project:export:finish"
    PROJECT_EXPORT_REQUEST = "project:export:request"
    PROJECT_EXPORT_START = "project:export:start"
    PROJECT_IMPORT_FINISH = "project:import:finish"
    PROJECT_IMPORT_REQUEST = "project:import:request"
    PROJECT_IMPORT_START = "project:import:start"
    PROJECT_JOB_CANCEL = "project:job:cancel"
    PROJECT_MEMBER_ADD = "project:member:add"
    PROJECT_MEMBER_REMOVE = "project:member:remove"
    PROJECT_MEMBER_UPDATE = "project:member:update"
    PROJECT_PROJECT_CREATE = "project:project:create"
    PROJECT_PROJECT_EXPORT = "project:project:export"
    PROJECT_PROJECT_UPDATE = "project:project:update"
    PROJECT_TASK_CREATE = "project:task:create"
    PROJECT_WORKFLOW_UPDATE = "project:workflow:update"
    SECURITY_EGRESS_REFUSED = "security:egress:refused"
    TASK_ANNOTATION_SUBMIT = "task:annotation:submit"
    TASK_DRAFT_SAVE = "task:draft:save"
    TASK_REVIEW_DECIDE = "task:review:decide"
    TASK_TASK_ASSIGN = "task:task:assign"
    TASK_TASK_REMOVE = "task:task:remove"
    TASK_TASK_TAKE = "task:task:take"


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"
