"""Who is asking (a ``Principal``) and what they are asking about (a ``Resource``): plain facts,
loaded before the policy decides. The policy does not care where a principal came from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from enclave.domain.roles import OrgRole, ProjectRole


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    org_role: OrgRole
    #: How the caller authenticated: "session", "api_key" or "test" (the test-only hook).
    via: str = "session"
    #: For an API key: the scopes it carries (None: not a key, the owner's full rights).
    scopes: frozenset[str] | None = None
    #: For an API key restricted to one project.
    project_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """The facts about a target that rules may look at. Unknown facts stay ``None``."""

    organization_id: uuid.UUID
    #: The project the target belongs to, and the principal's own role in it, if they are a member.
    project_id: uuid.UUID | None = None
    project_role: ProjectRole | None = None
    #: For a task: who annotates it and who reviews it.
    assignee_id: uuid.UUID | None = None
    reviewer_id: uuid.UUID | None = None
    #: For a member: who they are and their org role (current, or requested for a new member).
    target_user_id: uuid.UUID | None = None
    target_org_role: OrgRole | None = None
    #: For a role change: the role asked for.
    requested_org_role: OrgRole | None = None
    #: For a project member: their current project role, and the one asked for.
    target_project_role: ProjectRole | None = None
    requested_project_role: ProjectRole | None = None
