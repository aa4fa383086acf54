"""The one guard every protected route uses: authenticate, bind the tenant, load facts, ask the policy.

Each route declares exactly one permission and the kind of target it acts on, in its ``opt``:
``opt=access(Permission.X, Target.TASK)``. The guard answers 401 (no valid caller), 404 (target not
visible to the caller's organization) or 403 (visible, but the policy says no); only then does the
handler run, inside the same tenant-bound transaction.

A request that changes something is decided under the locks it writes under: the guard reads the
facts the policy needs locked (``AccessRepository(locking=True)``) in the transaction the handler
then writes and commits in, so no reassignment, role change, removal, revocation or termination can
commit between the decision and the write. A concurrent change either waits for the request, or the
request waits for it and is decided on what it committed.

Step-up: a few operations (``STEP_UP_OPERATIONS``) need, from a browser session, a sign-in at most
``SessionSettings.reauthentication_max_age_s`` old, with a second factor when the organization
requires one or the session's sign-in had one. Older, the answer is 401 with ``WWW-Authenticate:
Bearer error="insufficient_user_authentication", max_age=N`` (RFC 9470): the web app sends the person
through Keycloak again (``/auth/login?reauthenticate=true``) and retries. An API key is not asked (it
is itself a credential its owner created under step-up).
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.permissions import Permission
from enclave.authz.policy import can, visible
from enclave.authz.principal import Principal, Resource
from enclave.db.repositories.access import AccessRepository
from enclave.db.repositories.api_keys import ApiKeyRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import Forbidden, Gone, InvalidState, NotFound, Unauthenticated
from enclave.domain.roles import OrgRole, ProjectRole
from enclave.web.api_key_auth import (
    VerifiedKey,
    record_failure,
    refuse_if_owner_disabled,
    refuse_if_throttled,
    verify_key,
)
from enclave.web.claims import Claim
from enclave.web.transaction import request_session

R = TypeVar("R", OrgRole, ProjectRole)

PERMISSION = "permission"
READS = frozenset({"GET", "HEAD"})
#: Operations a browser session may run only right after its person signed in again (a unit test
#: checks that each names a route): rotating and terminating the organization, API keys, exports.
STEP_UP_OPERATIONS = frozenset(
    {"api_key_create", "export_create", "organization_key_rotate", "organization_terminate", "project_export"}
)
#: Where the session authenticator leaves the request's :class:`SignIn`.
SIGN_IN = "sign_in"
#: RFC 9470's error code: a fresh sign-in (within ``max_age``) will let the request through.
INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication"
#: The problem type of a refusal that a fresh sign-in (with the second factor) would lift.
REAUTHENTICATION_REQUIRED = "urn:enclave:problem:reauthentication-required"
ROWS = "rows"
TARGET = "target"


class Target(enum.StrEnum):
    """What a route acts on, and so which facts the guard loads before asking the policy."""

    ORGANIZATION = "organization"  # the caller's organization (lists, creations, org-wide reads)
    MEMBER = "member"  # path `user_id`: an org member (and, for updates, the role asked for)
    NEW_MEMBER = "new_member"  # a member being created: the role asked for, from the body
    PROJECT = "project"  # path `project_id`
    PROJECT_MEMBER = "project_member"  # path `project_id` (+ `user_id`): a member and the role asked for
    TASK = "task"  # path `task_id`
    API_KEY = "api_key"  # path `key_id`: an API key and its owner
    ITEM = "item"  # path `item_id`: a data item, reached through any task on it the caller may see


@dataclass(frozen=True, slots=True)
class SignIn:
    """When a browser session's person last typed their credentials (Unix seconds), and whether with
    a second factor."""

    auth_time: float
    second_factor: bool

    def fresh(self, max_age_s: int, *, second_factor_required: bool, now: float) -> bool:
        if second_factor_required and not self.second_factor:
            return False
        return 0 <= now - self.auth_time <= max_age_s


def access(
    permission: Permission, target: Target = Target.ORGANIZATION, *, rows: Permission | None = None
) -> dict[str, Any]:
    """The ``opt`` of a protected route. A list whose rows are not all visible to everyone it lets in
    names the permission that reads one row (``rows``): the guard derives from the same policy which
    rows the caller sees (``visible``), and the handler hands that filter to its service."""
    return {PERMISSION: permission, TARGET: target, ROWS: rows}


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    permission: Permission | None = handler.opt.get(PERMISSION)
    if permission is None:  # a route without a permission is a bug; refuse rather than allow
        raise Forbidden("This route has no permission and is closed.")
    claim: Claim | None = connection.scope.get("state", {}).get("claim")
    if claim is None:
        raise Unauthenticated("Sign in, or send a valid API key.")
    session = request_session(connection)
    await bind_tenant(session, claim.organization_id, claim.user_id)
    changes = connection.scope.get("method") not in READS
    key = await _verify_key(connection, session, claim, changes) if claim.api_key is not None else None
    user_id = key.user_id if key is not None else claim.user_id
    if user_id is None:  # pragma: no cover — every authenticator names a user or a key
        raise Unauthenticated("Sign in, or send a valid API key.")
    access_repo = AccessRepository(session, claim.organization_id, locking=changes)
    # A key's lookup has read its owner's facts already (in the same statement, as locked).
    caller = key.caller if key is not None else await access_repo.caller(user_id)
    if caller is None:
        # The owner was removed: their sessions and keys stop working at once.
        raise Unauthenticated("This account is not an active member of its organization.")
    if key is not None:
        await refuse_if_owner_disabled(connection, claim.organization_id, key)
    if caller.shredded:
        raise Gone("This organization was terminated and its data destroyed.")
    if caller.terminated and changes:
        raise InvalidState("This organization is terminated: its data can be read and exported, not changed.")
    if not claim.csrf_ok:
        raise Forbidden("Send the X-CSRF-Token header of your session with every change.")
    if caller.mfa_required and not claim.second_factor:
        # Checked on every request, so turning MFA off in Keycloak by hand does not open the app.
        raise Unauthenticated("Your organization requires a second factor; sign in again with it.")
    principal = Principal(
        user_id,
        claim.organization_id,
        caller.role,
        via=claim.via,
        scopes=key.scopes if key is not None else None,
        project_id=key.project_id if key is not None else None,
    )
    loaded = await _load(handler.opt.get(TARGET, Target.ORGANIZATION), connection, access_repo, principal)
    # An item is reached through its tasks: allowed when any one of them allows it.
    resource = next((r for r in _candidates(loaded) if can(principal, permission, r)), None)
    if resource is None:
        raise Forbidden("You do not have permission to do this.")
    # Rotation, termination, API-key creation and exports need a browser session signed in just now;
    # asked only of callers the policy allows, so nobody signs in again only to be refused.
    operation_id = getattr(handler, "operation_id", None)
    step_up = operation_id if isinstance(operation_id, str) else None
    _require_step_up(connection, step_up, mfa_required=caller.mfa_required)
    connection.state.principal = principal
    connection.state.resource = resource
    rows: Permission | None = handler.opt.get(ROWS)
    if rows is not None:
        in_project = resource.project_id is not None
        connection.state.visibility = visible(principal, rows, resource.project_role, in_project=in_project)


def _require_step_up(
    connection: ASGIConnection[Any, Any, Any, Any], operation_id: str | None, *, mfa_required: bool
) -> None:
    sign_in: SignIn | None = connection.scope.get("state", {}).get(SIGN_IN)
    if operation_id not in STEP_UP_OPERATIONS or sign_in is None:  # not a step-up route, or no session
        return
    max_age = int(connection.app.state.settings.session.reauthentication_max_age_s)
    required = mfa_required or sign_in.second_factor
    if not sign_in.fresh(max_age, second_factor_required=required, now=time.time()):
        raise NotAuthorizedException(
            detail="Sign in again to confirm this action: re-authentication required.",
            extra={"type": REAUTHENTICATION_REQUIRED},
            headers={
                "WWW-Authenticate": f'Bearer error="{INSUFFICIENT_USER_AUTHENTICATION}", max_age={max_age}'
            },
        )


async def _verify_key(
    connection: ASGIConnection[Any, Any, Any, Any], session: AsyncSession, claim: Claim, changes: bool
) -> VerifiedKey:
    token = claim.api_key
    await refuse_if_throttled(connection)
    key = await verify_key(session, token, lock=changes) if token is not None else None
    if key is None:
        await record_failure(connection)
        raise Unauthenticated("The API key is unknown, revoked or expired.")
    return key


def _candidates(loaded: Resource | list[Resource]) -> list[Resource]:
    return loaded if isinstance(loaded, list) else [loaded]


async def _load(
    target: Target,
    connection: ASGIConnection[Any, Any, Any, Any],
    repo: AccessRepository,
    principal: Principal,
) -> Resource | list[Resource]:
    org = principal.organization_id
    params = connection.path_params
    if target is Target.ORGANIZATION:
        return Resource(organization_id=org)
    if target is Target.ITEM:
        item_tasks = await repo.item_facts(params["item_id"], principal.user_id)
        if item_tasks is None:
            raise NotFound("No such item.")
        return [
            Resource(
                organization_id=org,
                project_id=task.project_id,
                project_role=task.project_role,
                assignee_id=task.assignee_id,
                reviewer_id=task.reviewer_id,
            )
            for task in item_tasks
        ] or [Resource(organization_id=org)]
    if target in (Target.PROJECT, Target.PROJECT_MEMBER):
        project_id: uuid.UUID = params["project_id"]
        exists, role = await repo.project_access(project_id, principal.user_id)
        if not exists:
            raise NotFound("No such project.")
        if target is Target.PROJECT:
            return Resource(organization_id=org, project_id=project_id, project_role=role)
        member: uuid.UUID | None = params.get("user_id")
        return Resource(
            organization_id=org,
            project_id=project_id,
            project_role=role,
            target_user_id=member,
            target_project_role=(
                await repo.project_role(project_id, member, lock=repo.target_lock) if member else None
            ),
            requested_project_role=await _requested_role(connection, ProjectRole),
        )
    if target is Target.TASK:
        facts = await repo.task_facts(params["task_id"], principal.user_id)
        if facts is None:
            raise NotFound("No such task.")
        return Resource(
            organization_id=org,
            project_id=facts.project_id,
            project_role=facts.project_role,
            assignee_id=facts.assignee_id,
            reviewer_id=facts.reviewer_id,
        )
    if target is Target.MEMBER:
        user_id: uuid.UUID = params["user_id"]
        current = await repo.member_role(user_id, active_only=False, lock=repo.target_lock)
        if current is None:
            raise NotFound("No such member.")
        return Resource(
            organization_id=org,
            target_user_id=user_id,
            target_org_role=current,
            requested_org_role=await _requested_role(connection, OrgRole),
        )
    if target is Target.API_KEY:
        keys = ApiKeyRepository(repo.session, org)
        owner = await keys.owner_of(params["key_id"], for_update=repo.locking)
        if owner is None:
            raise NotFound("No such API key.")
        return Resource(organization_id=org, target_user_id=owner)
    if target is Target.NEW_MEMBER:
        requested = await _requested_role(connection, OrgRole)
        return Resource(organization_id=org, target_org_role=requested, requested_org_role=requested)
    raise Forbidden("This route's target is unknown and it is closed.")


async def _requested_role(connection: ASGIConnection[Any, Any, Any, Any], kind: type[R]) -> R | None:
    """The ``role`` a create or update body asks for. Malformed bodies are left to the handler's
    validation (400); here they simply ask for nothing."""
    if connection.scope.get("method") not in {"POST", "PATCH", "PUT"}:
        return None
    try:
        body = await connection.json()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 — any unreadable body: the handler will reject it with a 400
        return None
    value = body.get("role") if isinstance(body, dict) else None
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None
