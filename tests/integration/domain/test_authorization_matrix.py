"""The authorization matrix, end to end: every v1 operation (walked from ``V1_CONTROLLERS``) by every
org role, every project role, own tenant or other tenant, assigned or not, against the real api; plus
callers who must not get in at all (signed out, disabled, unknown, forged tenant). Every tenant-A caller
calls twice: through the test header (standing in for a signed-in session) and with an ``admin``-scoped,
unrestricted API key of their own, which must allow exactly what its owner may — except managing API
keys, which a key may never do.

What each caller may do is written out below (``EXPECTED``) from the product rules, independently of
``enclave.authz.policy``: asking ``can`` or reading ``RULES`` here would test the policy against itself.
A call is *denied* when it answers 403 or 404, *allowed* when it answers anything else below 500; a
caller without a valid, active membership must get 401. Every mismatch in either direction fails its
operation's test, which prints a table of all of them.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from litestar import Router
from litestar.routes import HTTPRoute

from enclave.api.v1.routes import V1_CONTROLLERS
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings
from tests.integration.domain.world import BOX, ONTOLOGY, Tenant, as_user, force_assignment, force_org_role
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_keys import bearer, forget_key_failures
from tests.support.minio import raw_minio
from tests.support.stack_fixtures import CUSTOMER_CREDENTIALS
from tests.support.worker_process import running_worker

API = "/api/v1"

# --- the operations: the route table, as the application mounts it ---------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str
    path: str  # the route's template, e.g. /api/v1/tasks/{task_id:uuid}

    @property
    def names_a_target(self) -> bool:
        """Whether the path names a row (of tenant A, in these tests) rather than the caller's org
        (an identity provider's alias, say, names a part of the caller's own organization)."""
        return "_id:" in self.path

    @property
    def on_a_task(self) -> bool:
        """Whether access depends on a task's assignment: a task, or an item reached through one."""
        return "{task_id:" in self.path or "{item_id:" in self.path

    def matches(self, path: str) -> bool:
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(self.path))
        return re.fullmatch(pattern, API + path) is not None


def walk_route_table() -> list[Operation]:
    """Every method of every v1 route except the OPTIONS answers Litestar adds on its own."""
    operations = []
    for route in Router(path=API, route_handlers=V1_CONTROLLERS).routes:
        if not isinstance(route, HTTPRoute):  # a websocket route would need recipes of its own
            raise TypeError(f"{route.path}: only HTTP routes are expected under {API}")
        operations += [
            Operation(str(handler.operation_id), method, route.path)
            for handler in route.route_handlers
            for method in sorted(handler.http_methods)
            if method != "OPTIONS"
        ]
    return sorted(operations, key=lambda op: op.id)


OPERATIONS = walk_route_table()
#: Any operation on a task, for asking which task contexts a caller has.
ON_A_TASK = Operation("task_read", "GET", API + "/tasks/{task_id:uuid}")

# --- who calls ------------------------------------------------------------------------------------

ORG_ROLES = ("admin", "workforce_manager", "member", "tasker")
PROJECT_ROLES = (None, "admin", "team_manager", "annotator", "reviewer", "annotator_reviewer")
EVERY_PROJECT_ROLE = frozenset(role for role in PROJECT_ROLES if role)
MANAGING = frozenset({"admin", "team_manager"})
ANNOTATING = frozenset({"annotator", "annotator_reviewer"})
REVIEWING = frozenset({"reviewer", "annotator_reviewer"})

OWN = "own tenant"
OTHER = "other tenant"
NO_CALLER = "no valid caller"

BY_HEADER = "test header"
BY_KEY = "API key"


@dataclass(frozen=True, slots=True)
class CallerSpec:
    label: str
    group: str
    org_role: str | None = None
    project_role: str | None = None
    #: Whether the caller is a real user of tenant A, who can be assigned work there or be "self".
    in_tenant_a: bool = False
    #: How they authenticate: the test header, or an admin-scoped, unrestricted API key of their own.
    via: str = BY_HEADER


def by_key(spec: CallerSpec) -> CallerSpec:
    """The same user calling with their API key."""
    return replace(spec, label=f"{spec.label} [key]", via=BY_KEY)


OWN_CALLERS = [
    CallerSpec(f"{org}/{project or 'none'}", OWN, org, project, in_tenant_a=True)
    for org in ORG_ROLES
    for project in PROJECT_ROLES
]
OTHER_CALLERS = [CallerSpec(f"B {org}", OTHER, org) for org in ORG_ROLES]
SIGNED_OUT = CallerSpec("signed out", NO_CALLER)
#: Everything this org Admin could do, had they not been removed.
DISABLED = CallerSpec("disabled admin/annotator_reviewer", NO_CALLER, "admin", "annotator_reviewer", True)
UNKNOWN = CallerSpec("unknown user in A", NO_CALLER)
FORGED = CallerSpec("A admin claiming B", NO_CALLER)  # a tenant-A user id under tenant B's id
#: Every own-tenant caller again, with a key: allowed what they are, but never to manage keys.
KEY_CALLERS = [by_key(spec) for spec in OWN_CALLERS]
#: Their key was made before they were removed; it must stop working with their membership.
DISABLED_KEY = by_key(DISABLED)
NO_CALLERS = [SIGNED_OUT, DISABLED, DISABLED_KEY, UNKNOWN, FORGED]

# --- in which situation -----------------------------------------------------------------------------

NO_CONTEXT = "-"
ASSIGNEE = "assignee"  # the task is assigned to the caller to annotate
REVIEWER = "reviewer"  # the task is assigned to the caller to review
NOT_ASSIGNED = "not assigned"  # the task is someone else's

OWN_KEY = "own key"
#: Contexts that exist only for a caller who is a user of tenant A.
OWN_CONTEXTS = frozenset({"self", OWN_KEY})

#: The member an operation on members is about (and, for changes, the role asked for); for
#: ``api_key_revoke``, whose key it is.
NEW_MEMBER = ("new tasker", "new member", "new workforce_manager", "new admin")
MEMBER_CONTEXTS = {
    "member_create": NEW_MEMBER,
    "invite_create": NEW_MEMBER,
    "member_read": ("tasker", "member", "workforce_manager", "admin", "self"),
    "member_update": (
        "tasker renamed",
        "tasker → member",
        "member renamed",
        "member → tasker",
        "admin renamed",
    ),
    "member_remove": ("tasker", "member", "admin"),
    "member_sessions_end": ("tasker", "member", "admin"),
    "project_member_add": ("as annotator", "as team_manager", "as admin"),
    "project_member_update": (
        "annotator → reviewer",
        "annotator → team_manager",
        "team_manager → annotator",
        "admin → annotator",
    ),
    "project_member_remove": ("annotator", "team_manager", "admin"),
    "api_key_revoke": (OWN_KEY, "a member's key"),
}
#: The member contexts about a Tasker who stays a Tasker: the only ones Workforce Managers may act in.
TASKER_STAYS_TASKER = frozenset({"new tasker", "tasker", "tasker renamed"})
#: The project member contexts about a worker (annotating or reviewing) who stays a worker: the only
#: ones Team Managers may act in.
WORKER_STAYS_WORKER = frozenset({"as annotator", "annotator → reviewer", "annotator"})


def contexts(op: Operation, caller: CallerSpec) -> tuple[str, ...]:
    if op.on_a_task:
        if not caller.in_tenant_a:
            return (NOT_ASSIGNED,)
        annotating = (ASSIGNEE,) if caller.project_role in ANNOTATING else ()
        reviewing = (REVIEWER,) if caller.project_role in REVIEWING else ()
        return (*annotating, *reviewing, NOT_ASSIGNED)
    if op.id in MEMBER_CONTEXTS:
        return tuple(c for c in MEMBER_CONTEXTS[op.id] if c not in OWN_CONTEXTS or caller.in_tenant_a)
    return (NO_CONTEXT,)


@dataclass(frozen=True, slots=True)
class Case:
    op: Operation
    caller: CallerSpec
    context: str


def plan(op: Operation) -> list[Case]:
    """Own-tenant callers try everything, by header and by key; other tenants' callers try every
    operation on a tenant-A row (an operation without one acts on their own organization); callers
    without a valid membership try everything."""
    callers = OWN_CALLERS + KEY_CALLERS + (OTHER_CALLERS if op.names_a_target else []) + NO_CALLERS
    return [Case(op, caller, context) for caller in callers for context in contexts(op, caller)]


# --- what the product rules say (written out, not read from the policy) ------------------------------

Predicate = Callable[[CallerSpec, str], bool]


@dataclass(frozen=True, slots=True)
class Who:
    """Who may: ``a | b`` is allowed when either is."""

    allows: Predicate

    def __or__(self, other: Who) -> Who:
        return Who(lambda c, x: self.allows(c, x) or other.allows(c, x))


def org(*roles: str) -> Who:
    return Who(lambda c, _: c.org_role in roles)


def project_role(caller: CallerSpec) -> str | None:
    """The project role that counts: Taskers never manage a project, so for a Tasker who holds a
    managing role anyway (given while they were not yet a Tasker) it counts as none."""
    if caller.org_role == "tasker" and caller.project_role in MANAGING:
        return None
    return caller.project_role


def project(roles: frozenset[str]) -> Who:
    return Who(lambda c, _: project_role(c) in roles)


def annotating_it(roles: frozenset[str]) -> Who:
    return Who(lambda c, x: x == ASSIGNEE and project_role(c) in roles)


def reviewing_it(roles: frozenset[str]) -> Who:
    return Who(lambda c, x: x == REVIEWER and project_role(c) in roles)


EVERYONE = org(*ORG_ROLES)
ADMINS = org("admin")
WORKFORCE_OVER_TASKERS = Who(lambda c, x: c.org_role == "workforce_manager" and x in TASKER_STAYS_TASKER)
TEAM_MANAGER_OVER_WORKERS = Who(lambda c, x: project_role(c) == "team_manager" and x in WORKER_STAYS_WORKER)
MANAGE_THE_PROJECT = ADMINS | project(MANAGING)
MANAGE_THE_TEAM = ADMINS | project(frozenset({"admin"})) | TEAM_MANAGER_OVER_WORKERS
SEE_THE_TASK = ADMINS | project(MANAGING) | annotating_it(ANNOTATING) | reviewing_it(REVIEWING)

EXPECTED: dict[str, Who] = {
    "organization_read": EVERYONE,
    "organization_update": ADMINS,
    "organization_terminate": ADMINS,
    "organization_key_read": ADMINS,
    "organization_key_rotate": ADMINS,
    "audit_event_list": ADMINS,
    "audit_verify": ADMINS,
    "audit_export": ADMINS,
    "audit_export_csv": ADMINS,
    "identity_provider_list": ADMINS,
    "identity_provider_put": ADMINS,
    "identity_provider_delete": ADMINS,
    "me_read": EVERYONE,
    "my_task_list": EVERYONE,
    "member_list": org("admin", "workforce_manager"),
    "member_create": ADMINS | WORKFORCE_OVER_TASKERS,
    "invite_create": ADMINS | WORKFORCE_OVER_TASKERS,  # inviting someone is creating a member
    # Everyone may read their own member record (the same facts /me shows).
    "member_read": ADMINS | WORKFORCE_OVER_TASKERS | Who(lambda c, x: x == "self"),
    "member_update": ADMINS | WORKFORCE_OVER_TASKERS,
    "member_remove": ADMINS | WORKFORCE_OVER_TASKERS,
    # Signing a member out of every browser: whoever may remove them.
    "member_sessions_end": ADMINS | WORKFORCE_OVER_TASKERS,
    "ontology_list": org("admin", "workforce_manager", "member"),
    "ontology_read": org("admin", "workforce_manager", "member"),
    "ontology_version_list": org("admin", "workforce_manager", "member"),
    "ontology_create": ADMINS,
    "ontology_version_create": ADMINS,
    "dataset_list": ADMINS,
    "dataset_read": ADMINS,
    "dataset_create": ADMINS,
    "data_item_list": ADMINS,
    "data_item_import": ADMINS,
    "data_item_upload": ADMINS,
    "data_item_bucket_import": ADMINS,
    "text_item_import": ADMINS,
    # An item's bytes: whoever may see a task on it.
    "item_content_read": SEE_THE_TASK,
    "project_list": EVERYONE,
    "project_create": ADMINS,
    "project_read": ADMINS | project(EVERY_PROJECT_ROLE),
    "project_export": MANAGE_THE_PROJECT,
    # Jobs: whoever may export the project follows, cancels and downloads its jobs; importing into
    # it creates tasks, so it is the managers' too.
    "export_create": MANAGE_THE_PROJECT,
    "export_download": MANAGE_THE_PROJECT,
    "import_create": MANAGE_THE_PROJECT,
    "job_list": MANAGE_THE_PROJECT,
    "job_read": MANAGE_THE_PROJECT,
    "job_cancel": MANAGE_THE_PROJECT,
    "ontology_import": ADMINS,
    "project_ontology_read": ADMINS | project(EVERY_PROJECT_ROLE),  # part of reading the project
    "project_update": ADMINS | project(frozenset({"admin"})),
    # The workflow (its sample's seed among its settings): read by those who run the project,
    # changed by those who may update it.
    "project_workflow_read": MANAGE_THE_PROJECT,
    "project_workflow_update": ADMINS | project(frozenset({"admin"})),
    "project_member_list": MANAGE_THE_PROJECT,
    "project_member_add": MANAGE_THE_TEAM,
    "project_member_update": MANAGE_THE_TEAM,
    "project_member_remove": MANAGE_THE_TEAM,
    "project_dataset_attach": MANAGE_THE_PROJECT,
    "project_dataset_list": MANAGE_THE_PROJECT,
    "task_create": MANAGE_THE_PROJECT,
    "task_assign": MANAGE_THE_PROJECT,
    "task_remove": MANAGE_THE_PROJECT,
    "task_list": ADMINS | project(EVERY_PROJECT_ROLE),
    "task_next": project(ANNOTATING | REVIEWING),
    "task_read": SEE_THE_TASK,
    "annotation_list": SEE_THE_TASK,
    "review_list": SEE_THE_TASK,
    "annotation_submit": annotating_it(ANNOTATING),
    "annotation_draft_read": annotating_it(ANNOTATING),
    "annotation_draft_save": annotating_it(ANNOTATING),
    "review_create": reviewing_it(REVIEWING),
    # API keys: everyone makes and lists their own; org Admins revoke anyone's, others only their own.
    "api_key_create": EVERYONE,
    "api_key_list": EVERYONE,
    "api_key_revoke": ADMINS | Who(lambda c, x: x == OWN_KEY),
}
#: Operations whose allowed calls cannot succeed here without ending the world the matrix runs in, and the
#: status their recipe gets past the guard instead: terminating tenant A with a wrong confirmation.
BY_DESIGN = {"organization_terminate": 400}
#: What no API key may do, whatever its scopes and its owner's rights: keys never mint or revoke keys.
KEY_MANAGEMENT = frozenset({"api_key_create", "api_key_list", "api_key_revoke"})

ALLOWED, DENIED, UNAUTHENTICATED, FAULT = "allowed", "denied", "401", "5xx"


def expected(case: Case) -> str:
    if case.caller.group == NO_CALLER:
        return UNAUTHENTICATED
    if case.caller.group == OTHER:
        return DENIED
    if case.caller.via == BY_KEY and case.op.id in KEY_MANAGEMENT:
        return DENIED
    return ALLOWED if EXPECTED[case.op.id].allows(case.caller, case.context) else DENIED


def outcome(status: int) -> str:
    if status >= 500:
        return FAULT
    if status == 401:
        return UNAUTHENTICATED
    return DENIED if status in (403, 404) else ALLOWED


# --- the world the calls are made in -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caller:
    spec: CallerSpec
    headers: dict[str, str]
    user_id: uuid.UUID | None = None


@dataclass
class World:
    """Tenant A (everyone's home, and the owner of every target) and tenant B (the other tenant)."""

    a: Tenant
    b: Tenant
    ontology: str
    spare_ontology: str  # new versions go here, so the project's labels never change
    project: str
    queue_project: str  # tasks/next is asked of a project with no work: taking work changes nothing
    dataset: str  # attached to the project; the task pool's items are imported here
    empty_dataset: str  # attached, with no items: creating its tasks creates none
    loose_dataset: str  # attached to nothing: importing into it changes no project
    text_dataset: str  # a text dataset attached to nothing, for text imports
    job: str = ""  # an export of the project, asked for by its admin and done by a worker
    #: A customer bucket to import from (the prefix the recipe names holds nothing: imports change nothing).
    source: dict[str, str] = field(default_factory=dict)
    callers: dict[str, Caller] = field(default_factory=dict)
    #: Org members of each role, in no project (the shared targets of member operations), and the
    #: bystanders who hold the tasks that are not the caller's.
    members: dict[str, uuid.UUID] = field(default_factory=dict)
    pool: list[str] = field(default_factory=list)
    shared_tasks: dict[tuple[uuid.UUID, uuid.UUID], str] = field(default_factory=dict)
    #: Items with content (an uploaded image), each with one task assigned to these people.
    content_items: dict[tuple[uuid.UUID, uuid.UUID], str] = field(default_factory=dict)
    #: A key the removed caller made while still a member: the one key of theirs there is to revoke.
    removed_callers_key: str = ""

    def new_member(self, role: str) -> uuid.UUID:
        # Hundreds of members share a tenant here: names long enough that e-mail addresses never collide.
        return self.a.member(role, name=unique(role))

    def finish_job(self) -> None:
        """Waits for the world's export to succeed (a worker is running)."""
        deadline = time.monotonic() + 60
        while (job := self.a.ok("GET", f"/projects/{self.project}/jobs/{self.job}"))["state"] != "succeeded":
            assert job["state"] in {"queued", "running"}, job
            assert time.monotonic() < deadline, job
            time.sleep(0.1)

    def queued_job(self) -> str:
        """A new export of the project, asked for by its admin: queued, as no worker runs."""
        return str(self.a.ok("POST", f"/projects/{self.project}/exports", json={"format": "jsonl"})["id"])

    def new_project_member(self, role: str) -> uuid.UUID:
        user = self.new_member("member")
        self.a.join(self.project, user, role)
        return user

    def new_key(self, owner: uuid.UUID, scope: str = "tasks:read") -> tuple[str, str]:
        """A key ``owner`` makes for themselves (through the test header): its id and its secret."""
        created = self.a.ok("POST", "/api-keys", owner, json={"name": unique("k"), "scopes": [scope]})
        return str(created["key"]["id"]), str(created["secret"])

    def key_to_revoke(self, caller: Caller, context: str) -> str:
        """A fresh key of the caller's (or of a member's): revoking it never takes away a key in use."""
        if context != OWN_KEY:
            return self.new_key(self.members["member"])[0]
        assert caller.user_id is not None
        if caller.user_id == self.callers[DISABLED.label].user_id:
            return self.removed_callers_key
        return self.new_key(caller.user_id)[0]

    def member_target(self, caller: Caller, context: str) -> uuid.UUID:
        if context == "self":
            assert caller.user_id is not None
            return caller.user_id
        return self.members[context]

    def assignment(self, caller: Caller, context: str) -> tuple[uuid.UUID, uuid.UUID]:
        """(assignee, reviewer) of a task in ``context`` for ``caller``."""
        annotator, reviewer = self.members["bystander annotator"], self.members["bystander reviewer"]
        if context == ASSIGNEE and caller.user_id:
            return caller.user_id, reviewer
        if context == REVIEWER and caller.user_id:
            return annotator, caller.user_id
        return annotator, reviewer

    def shared_task(self, caller: Caller, context: str) -> str:
        """A task to read (or reassign to the same people), made once per assignment."""
        people = self.assignment(caller, context)
        if people not in self.shared_tasks:
            self.shared_tasks[people] = self.new_task(*people, stage="annotate")
        return self.shared_tasks[people]

    def content_item(self, caller: Caller, context: str) -> str:
        """An item with content whose one task is assigned as ``context`` says, made once per assignment."""
        people = self.assignment(caller, context)
        if people not in self.content_items:
            item = self.a.call(
                "POST", f"/datasets/{self.dataset}/files", content=PNG, headers=upload(unique("c"))
            )
            assert item.status_code == 201, item.text
            item_id = item.json()["id"]
            self.a.ok("POST", f"/projects/{self.project}/tasks", json={"dataset_id": self.dataset})
            task = self._task_of(item_id)
            self._assign(task, *people)
            self.content_items[people] = item_id
        return self.content_items[people]

    def _task_of(self, item_id: str) -> str:
        cursor = None
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            page = self.a.ok("GET", f"/projects/{self.project}/tasks", params=params)
            for t in page["items"]:
                if t["data_item_id"] == item_id:
                    return str(t["id"])
            cursor = page["next_cursor"]
            assert cursor, f"no task on item {item_id}"

    def fresh_task(self, caller: Caller, context: str, stage: str) -> str:
        return self.new_task(*self.assignment(caller, context), stage=stage)

    def new_task(self, assignee: uuid.UUID, reviewer: uuid.UUID, *, stage: str) -> str:
        if not self.pool:
            self._refill_pool()
        task = self.pool.pop()
        if stage == "review":  # the bystander submits, then the task is handed to its assignee
            bystander = self.members["bystander annotator"]
            self._assign(task, bystander, reviewer)
            self.a.ok("POST", f"/tasks/{task}/annotations", bystander, json={"payload": BOX})
        self._assign(task, assignee, reviewer)
        assert self.a.ok("GET", f"/tasks/{task}")["stage"] == stage
        return task

    def _assign(self, task: str, assignee: uuid.UUID, reviewer: uuid.UUID) -> None:
        removed = self.callers[DISABLED.label].user_id
        if removed in (assignee, reviewer):
            # The api assigns work to active members only: this is work assigned before removal.
            force_assignment(self.a.org_id, task, assignee, reviewer)
            return
        body = {"assignee_id": str(assignee), "reviewer_id": str(reviewer)}
        self.a.ok("PATCH", f"/tasks/{task}", json=body, headers=ANY_VERSION)

    def _refill_pool(self) -> None:
        items = [{"name": f"{unique('img')}.png", "media_type": "image/png"} for _ in range(50)]
        self.a.ok("POST", f"/datasets/{self.dataset}/items", json={"items": items})
        self.a.ok("POST", f"/projects/{self.project}/tasks", json={"dataset_id": self.dataset})
        cursor = None
        while True:
            params = {"stage": "annotate", "limit": 200} | ({"cursor": cursor} if cursor else {})
            page = self.a.ok("GET", f"/projects/{self.project}/tasks", params=params)
            self.pool += [
                t["id"] for t in page["items"] if t["assignee_id"] is None and t["reviewer_id"] is None
            ]
            if not (cursor := page["next_cursor"]):
                break
        assert self.pool


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


#: ``If-Match: *`` matches any version: the matrix is about who may update, not about lost updates.
ANY_VERSION = {"If-Match": "*"}


def build_world(client: httpx.Client) -> World:
    a, b = Tenant.create(client), Tenant.create(client)

    def create(path: str, body: dict[str, Any]) -> str:
        return str(a.ok("POST", path, json=body)["id"])

    ontology = create("/ontologies", {"name": unique("o"), "definition": ONTOLOGY})
    world = World(
        a,
        b,
        ontology=ontology,
        spare_ontology=create("/ontologies", {"name": unique("o"), "definition": ONTOLOGY}),
        project=create("/projects", {"name": unique("p"), "ontology_id": ontology}),
        queue_project=create("/projects", {"name": unique("q"), "ontology_id": ontology}),
        dataset=create("/datasets", {"name": unique("d"), "kind": "image"}),
        empty_dataset=create("/datasets", {"name": unique("e"), "kind": "image"}),
        loose_dataset=create("/datasets", {"name": unique("l"), "kind": "image"}),
        text_dataset=create("/datasets", {"name": unique("t"), "kind": "text"}),
    )
    for dataset in (world.dataset, world.empty_dataset):
        a.ok("POST", f"/projects/{world.project}/datasets", json={"dataset_id": dataset})
    world.job = str(a.ok("POST", f"/projects/{world.project}/exports", json={"format": "jsonl"})["id"])
    for role in ORG_ROLES:
        world.members[role] = world.new_member(role)
    for name, role in (("bystander annotator", "annotator"), ("bystander reviewer", "reviewer")):
        world.members[name] = world.new_member("member")
        a.join(world.project, world.members[name], role)

    for spec in [*OWN_CALLERS, DISABLED]:
        # The api refuses to give a Tasker a managing project role, and to make a project manager a
        # Tasker; such a state can only be written into the database by hand, which is how these
        # callers get it (the policy must still give the managing role no weight).
        demoted = spec.org_role == "tasker" and spec.project_role in MANAGING
        user = world.new_member("member" if demoted else str(spec.org_role))
        if spec.project_role:
            for project_id in (world.project, world.queue_project):
                a.join(project_id, user, spec.project_role)
        if demoted:
            force_org_role(a.org_id, user, "tasker")
        world.callers[spec.label] = Caller(spec, a.headers(user), user)
        # Their API key, made while they are a member (before the disabled caller is removed).
        with_key = by_key(spec)
        world.callers[with_key.label] = Caller(with_key, bearer(world.new_key(user, "admin")[1]), user)
    removed = world.callers[DISABLED.label].user_id
    assert removed is not None
    world.removed_callers_key = world.new_key(removed)[0]
    a.ok("DELETE", f"/members/{removed}")
    for spec in OTHER_CALLERS:
        user = b.admin_id if spec.org_role == "admin" else b.member(str(spec.org_role), unique("b"))
        world.callers[spec.label] = Caller(spec, b.headers(user))
    world.callers[SIGNED_OUT.label] = Caller(SIGNED_OUT, {})
    world.callers[UNKNOWN.label] = Caller(UNKNOWN, as_user(a.org_id, uuid.uuid4()))
    world.callers[FORGED.label] = Caller(FORGED, as_user(b.org_id, a.admin_id))
    return world


# --- how each operation is called: (path under /api/v1, JSON body, extra headers) ---------------------


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # a raw body (uploads), sent instead of JSON


LABEL_STUDIO_CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<RectangleLabels name="label" toName="image"><Label value="car"/></RectangleLabels></View>'
)

#: The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def upload(name: str) -> dict[str, str]:
    return {"Content-Type": "image/png", "Content-Disposition": f'attachment; filename="{name}.png"'}


Recipe = Callable[[World, Caller, str], Call]


def _new_member_body(context: str) -> dict[str, str]:
    name = unique("new")
    return {"email": f"{name}@example.org", "display_name": name, "role": context.removeprefix("new ")}


def _member_update(w: World, c: Caller, context: str) -> Call:
    target_role, _, change = context.partition(" ")
    if change == "renamed":
        return Call(f"/members/{w.members[target_role]}", {"display_name": unique("renamed")}, ANY_VERSION)
    new_role = change.removeprefix("→ ")
    return Call(f"/members/{w.new_member(target_role)}", {"role": new_role}, ANY_VERSION)


def _project_member_update(w: World, c: Caller, context: str) -> Call:
    current, _, new = context.partition(" → ")
    return Call(f"/projects/{w.project}/members/{w.new_project_member(current)}", {"role": new}, ANY_VERSION)


def _task_assign(w: World, c: Caller, context: str) -> Call:
    assignee, reviewer = w.assignment(c, context)  # the same people again: a real assignment, no change
    body = {"assignee_id": str(assignee), "reviewer_id": str(reviewer)}
    return Call(f"/tasks/{w.shared_task(c, context)}", body, ANY_VERSION)


#: A company OIDC provider as an admin would describe it (Keycloak does not contact it on creation).
OIDC_IDP = {
    "kind": "oidc",
    "display_name": "Company SSO",
    "config": {
        "issuer": "https://sso.company.example/realms/staff",
        "authorizationUrl": "https://sso.company.example/realms/staff/protocol/openid-connect/auth",
        "tokenUrl": "https://sso.company.example/realms/staff/protocol/openid-connect/token",
        "jwksUrl": "https://sso.company.example/realms/staff/protocol/openid-connect/certs",
        "clientId": "enclave",
        "clientSecret": "a-client-secret-for-the-matrix",
    },
}

RECIPES: dict[str, Recipe] = {
    "organization_read": lambda w, c, x: Call("/organization"),
    "organization_update": lambda w, c, x: Call("/organization", {"name": unique("Org")}, ANY_VERSION),
    # A wrong confirmation: allowed callers get past the guard (400), and tenant A lives on.
    "organization_terminate": lambda w, c, x: Call("/organization/termination", {"confirm": "not-the-slug"}),
    "organization_key_read": lambda w, c, x: Call("/organization/key"),
    "organization_key_rotate": lambda w, c, x: Call("/organization/key/rotations"),
    "audit_event_list": lambda w, c, x: Call("/audit/events"),
    "audit_verify": lambda w, c, x: Call("/audit/verification"),
    "audit_export": lambda w, c, x: Call("/audit/export"),
    "audit_export_csv": lambda w, c, x: Call("/audit/export/csv"),
    "identity_provider_list": lambda w, c, x: Call("/organization/identity-providers"),
    "identity_provider_put": lambda w, c, x: Call(
        f"/organization/identity-providers/{unique('idp')}", OIDC_IDP
    ),
    "identity_provider_delete": lambda w, c, x: Call(f"/organization/identity-providers/{unique('idp')}"),
    "me_read": lambda w, c, x: Call("/me"),
    "my_task_list": lambda w, c, x: Call("/me/tasks"),
    "member_list": lambda w, c, x: Call("/members"),
    "member_create": lambda w, c, x: Call("/members", _new_member_body(x)),
    "invite_create": lambda w, c, x: Call(
        "/invites", {"email": f"{unique('invited')}@example.org", "role": x.removeprefix("new ")}
    ),
    "member_read": lambda w, c, x: Call(f"/members/{w.member_target(c, x)}"),
    "member_update": _member_update,
    "member_remove": lambda w, c, x: Call(f"/members/{w.new_member(x)}"),
    "member_sessions_end": lambda w, c, x: Call(f"/members/{w.member_target(c, x)}/sessions"),
    "ontology_list": lambda w, c, x: Call("/ontologies"),
    "ontology_read": lambda w, c, x: Call(f"/ontologies/{w.ontology}"),
    "ontology_version_list": lambda w, c, x: Call(f"/ontologies/{w.ontology}/versions"),
    "ontology_create": lambda w, c, x: Call("/ontologies", {"name": unique("o"), "definition": ONTOLOGY}),
    "ontology_version_create": lambda w, c, x: Call(
        f"/ontologies/{w.spare_ontology}/versions", {"definition": ONTOLOGY}
    ),
    "dataset_list": lambda w, c, x: Call("/datasets"),
    "dataset_read": lambda w, c, x: Call(f"/datasets/{w.dataset}"),
    "dataset_create": lambda w, c, x: Call("/datasets", {"name": unique("d"), "kind": "image"}),
    "data_item_list": lambda w, c, x: Call(f"/datasets/{w.dataset}/items"),
    "data_item_import": lambda w, c, x: Call(
        f"/datasets/{w.loose_dataset}/items", {"items": [{"name": unique("i"), "media_type": "image/png"}]}
    ),
    "data_item_upload": lambda w, c, x: Call(
        f"/datasets/{w.loose_dataset}/files", headers=upload(unique("u")), content=PNG
    ),
    "data_item_bucket_import": lambda w, c, x: Call(
        f"/datasets/{w.loose_dataset}/imports", {"source": w.source}
    ),
    "text_item_import": lambda w, c, x: Call(
        f"/datasets/{w.text_dataset}/texts",
        headers={"Content-Type": "application/jsonl"},
        content=b'{"name": "%s", "text": "a note"}\n' % unique("n").encode(),
    ),
    "item_content_read": lambda w, c, x: Call(f"/items/{w.content_item(c, x)}/content"),
    "project_list": lambda w, c, x: Call("/projects"),
    "project_create": lambda w, c, x: Call("/projects", {"name": unique("p"), "ontology_id": w.ontology}),
    "project_read": lambda w, c, x: Call(f"/projects/{w.project}"),
    "project_export": lambda w, c, x: Call(f"/projects/{w.project}/export"),
    "export_create": lambda w, c, x: Call(f"/projects/{w.project}/exports", {"format": "jsonl"}),
    # The world's finished export; cancelling is of a job asked for just before, still queued.
    "export_download": lambda w, c, x: Call(f"/projects/{w.project}/jobs/{w.job}/artifact"),
    "import_create": lambda w, c, x: Call(
        f"/projects/{w.project}/imports", headers={"Content-Type": "application/json"}, content=b"[]"
    ),
    "job_list": lambda w, c, x: Call(f"/projects/{w.project}/jobs"),
    "job_read": lambda w, c, x: Call(f"/projects/{w.project}/jobs/{w.job}"),
    "job_cancel": lambda w, c, x: Call(f"/projects/{w.project}/jobs/{w.queued_job()}/cancellation"),
    "ontology_import": lambda w, c, x: Call(
        "/ontologies/label-studio", {"name": unique("o"), "label_config": LABEL_STUDIO_CONFIG}
    ),
    "project_ontology_read": lambda w, c, x: Call(f"/projects/{w.project}/ontology"),
    "project_update": lambda w, c, x: Call(
        f"/projects/{w.project}", {"description": unique("d")}, ANY_VERSION
    ),
    "project_workflow_read": lambda w, c, x: Call(f"/projects/{w.project}/workflow"),
    # The default workflow again: the world's projects keep the one they were made with.
    "project_workflow_update": lambda w, c, x: Call(f"/projects/{w.project}/workflow", {}, ANY_VERSION),
    "project_member_list": lambda w, c, x: Call(f"/projects/{w.project}/members"),
    "project_member_add": lambda w, c, x: Call(
        f"/projects/{w.project}/members",
        {"user_id": str(w.new_member("member")), "role": x.removeprefix("as ")},
    ),
    "project_member_update": _project_member_update,
    "project_member_remove": lambda w, c, x: Call(f"/projects/{w.project}/members/{w.new_project_member(x)}"),
    "project_dataset_list": lambda w, c, x: Call(f"/projects/{w.project}/datasets"),
    "project_dataset_attach": lambda w, c, x: Call(
        f"/projects/{w.project}/datasets", {"dataset_id": w.empty_dataset}
    ),
    # Tasks for the (empty, attached) dataset: allowed calls create none, so the pool stays as it is.
    "task_create": lambda w, c, x: Call(f"/projects/{w.project}/tasks", {"dataset_id": w.empty_dataset}),
    "task_list": lambda w, c, x: Call(f"/projects/{w.project}/tasks"),
    "task_next": lambda w, c, x: Call(f"/projects/{w.queue_project}/tasks/next", {}),
    "task_read": lambda w, c, x: Call(f"/tasks/{w.shared_task(c, x)}"),
    "task_assign": _task_assign,
    "task_remove": lambda w, c, x: Call(f"/tasks/{w.fresh_task(c, x, 'annotate')}"),
    "annotation_list": lambda w, c, x: Call(f"/tasks/{w.shared_task(c, x)}/annotations"),
    "annotation_submit": lambda w, c, x: Call(
        f"/tasks/{w.fresh_task(c, x, 'annotate')}/annotations", {"payload": BOX}
    ),
    "annotation_draft_read": lambda w, c, x: Call(f"/tasks/{w.fresh_task(c, x, 'annotate')}/draft"),
    "annotation_draft_save": lambda w, c, x: Call(
        f"/tasks/{w.fresh_task(c, x, 'annotate')}/draft", {"payload": BOX}
    ),
    "review_list": lambda w, c, x: Call(f"/tasks/{w.shared_task(c, x)}/reviews"),
    "review_create": lambda w, c, x: Call(
        f"/tasks/{w.fresh_task(c, x, 'review')}/reviews", {"decision": "approve"}
    ),
    "api_key_create": lambda w, c, x: Call("/api-keys", {"name": unique("k"), "scopes": ["tasks:read"]}),
    "api_key_list": lambda w, c, x: Call("/api-keys"),
    "api_key_revoke": lambda w, c, x: Call(f"/api-keys/{w.key_to_revoke(c, x)}"),
}

# --- running and reporting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    expected: str
    status: int

    @property
    def got(self) -> str:
        return outcome(self.status)

    def row(self) -> tuple[str, ...]:
        op, caller = self.case.op, self.case.caller
        return (
            f"{op.method} {op.path.removeprefix(API)} ({op.id})",
            caller.label,
            caller.group,
            self.case.context,
            self.expected,
            f"{self.got} ({self.status})",
        )


HEADINGS = ("operation", "caller", "tenant", "context", "expected", "got")


def table(results: list[Result]) -> str:
    rows = [HEADINGS, *(r.row() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADINGS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def run(world: World, op: Operation) -> list[Result]:
    results = []
    for case in plan(op):
        caller = world.callers[case.caller.label]
        call = RECIPES[op.id](world, caller, case.context)
        assert op.matches(call.path), f"the recipe for {op.id} calls {call.path}, not {op.path}"
        body: dict[str, Any] = {"content": call.content} if call.content is not None else {"json": call.body}
        response = world.a.client.request(
            op.method, API + call.path, headers=caller.headers | call.headers, **body
        )
        results.append(Result(case, expected(case), response.status_code))
    return results


# --- the tests -------------------------------------------------------------------------------------------

#: How many cases the plan holds. Of the 71 operations, 10 act on a task (an item's content included);
#: 10 on a member, with 4, 4, 5, 5, 3, 3 (org members, invitations included: 24, 23 without "self"), 3, 4,
#: 3 (project members: 10) and 2 (whose key is revoked: 1 without "own key") contexts; 51 on neither. 45
#: name a tenant-A row in their path: 27 plain, 8 member (15 + 10 + 1 contexts: creating and inviting
#: name none) and 10 task operations.
#: On a task, the 6 project roles have 1, 1, 1, 2, 2 and 3 contexts: 10 per org role.
EXPECTED_CASES = (
    2 * (24 * (51 + 24 + 10 + 2) + 4 * 10 * 10)  # own tenant: 24 callers, by header and by key
    + 4 * (27 + 15 + 10 + 1 + 10)  # other tenant: 4 callers, on the operations that name a tenant-A row
    + 3 * (51 + 23 + 10 + 1 + 10)  # signed out, unknown, forged: every operation, no "self", no own key
    + 2 * (51 + 24 + 10 + 2 + 3 * 10)  # disabled, by header and by key: an admin/annotator_reviewer
)


@pytest.fixture(scope="module")
def client(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def world(
    client: httpx.Client, stack: Stack, api_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    # Failed key attempts of earlier tests from this machine would throttle the key callers (429).
    forget_key_failures(stack)
    built = build_world(client)
    built.source = customer_source(stack)
    # The world's export is done by a real worker, stopped before any call: jobs asked for by the
    # calls stay queued (a cancel then always has a job to end).
    with running_worker(stack, tmp_path_factory.mktemp("worker") / "worker.log"):
        built.finish_job()
    # Tenant A's realm, for the identity-provider routes (they configure Keycloak brokering).
    realms = RealmService(admin_from_settings(KeycloakSettings(), TLSSettings()))
    realms.ensure_realm(realm_spec_for(built.a.slug, "Matrix", api_url))
    yield built
    realms.delete_realm(built.a.slug)


class TestAuthorizationMatrix:
    def test_every_operation_has_a_recipe_and_an_expectation(self) -> None:
        operations = {op.id for op in OPERATIONS}
        assert len(operations) == len(OPERATIONS), "two routes share an operation_id"
        assert sorted(operations - RECIPES.keys()) == [], "operations with no recipe"
        assert sorted(operations - EXPECTED.keys()) == [], "operations with no expectation"
        assert sorted((RECIPES.keys() | EXPECTED.keys()) - operations) == [], "recipes for no route"
        assert sorted(KEY_MANAGEMENT - operations) == [], "key management operations that are not routes"

    def test_the_plan_counts_every_case(self) -> None:
        assert len(OPERATIONS) == 71
        assert sum(len(plan(op)) for op in OPERATIONS) == EXPECTED_CASES
        # 4 org roles x 10 contexts by header and by key; other tenants; signed out, unknown, forged;
        # disabled by header and by key.
        assert {len(plan(op)) for op in OPERATIONS if op.on_a_task} == {2 * 4 * 10 + 4 + 3 + 2 * 3}

    @pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
    def test_operation(self, world: World, op: Operation) -> None:
        assert op.id in RECIPES, f"{op.id}: no recipe"
        assert op.id in EXPECTED, f"{op.id}: no expectation"
        results = run(world, op)
        evidence.add("routes x roles x tenants tried", len(results))
        assert len(results) == len(plan(op)) > len(OWN_CALLERS)
        mismatches = [r for r in results if r.got != r.expected]
        assert not mismatches, (
            f"{len(mismatches)} of {len(results)} cases of {op.id} differ from the product rules:\n"
            + table(mismatches)
        )
        # An allowed call the handler then refused (400, 409, 412...) proves less: its recipe is wrong.
        refused = [
            r
            for r in results
            if r.got == ALLOWED and not 200 <= r.status < 300 and r.status != BY_DESIGN.get(op.id)
        ]
        assert not refused, f"allowed, but the handler refused the recipe:\n{table(refused)}"

    def test_task_lists_show_annotators_and_reviewers_only_their_own(self, world: World) -> None:
        workers = (
            ("member/annotator", ("assignee_id",)),
            ("member/reviewer", ("reviewer_id",)),
            ("tasker/annotator_reviewer", ("assignee_id", "reviewer_id")),
        )
        for label, _ in workers:  # each has a task of their own and sees one of someone else's
            caller = world.callers[label]
            for context in contexts(ON_A_TASK, caller.spec):
                world.shared_task(caller, context)
        everything = self._tasks(world, world.callers["member/team_manager"])
        assert set(world.shared_tasks.values()) <= set(everything)
        assert set(self._tasks(world, world.callers["admin/none"])) == set(everything)
        for label, fields in workers:
            caller = world.callers[label]
            theirs = {
                i for i, task in everything.items() if any(task[f] == str(caller.user_id) for f in fields)
            }
            assert theirs, label
            assert set(self._tasks(world, caller)) == theirs, label
            with_key = world.callers[by_key(caller.spec).label]
            assert set(self._tasks(world, with_key)) == theirs, with_key.spec.label

    @staticmethod
    def _tasks(world: World, caller: Caller) -> dict[str, dict[str, Any]]:
        """Every task of the project that ``caller`` is shown, by id."""
        tasks: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            response = world.a.client.get(
                f"{API}/projects/{world.project}/tasks", headers=caller.headers, params=params
            )
            assert response.status_code == 200, response.text
            tasks |= {task["id"]: task for task in response.json()["items"]}
            if not (cursor := response.json()["next_cursor"]):
                return tasks

    def test_project_lists_show_exactly_the_projects_the_caller_may_read(self, world: World) -> None:
        ours = {world.project, world.queue_project}
        wrong = []
        for spec in [*OWN_CALLERS, *KEY_CALLERS, *OTHER_CALLERS]:
            caller = world.callers[spec.label]
            listed = world.a.client.get(f"{API}/projects", headers=caller.headers, params={"limit": 200})
            assert listed.status_code == 200, listed.text
            shown = {p["id"] for p in listed.json()["items"]} & ours
            readable = {
                p
                for p in ours
                if world.a.client.get(f"{API}/projects/{p}", headers=caller.headers).is_success
            }
            if shown != readable:
                wrong.append(f"{spec.label}: listed {sorted(shown)}, may read {sorted(readable)}")
        assert not wrong, "\n".join(wrong)

    @pytest.mark.parametrize("via", [BY_HEADER, BY_KEY])
    def test_workforce_managers_list_only_taskers(self, world: World, via: str) -> None:
        spec = world.callers["workforce_manager/none"].spec
        caller = world.callers[(spec if via == BY_HEADER else by_key(spec)).label]
        listed = world.a.client.get(f"{API}/members", headers=caller.headers, params={"limit": 200})
        assert listed.status_code == 200, listed.text
        roles = {m["role"] for m in listed.json()["items"]}
        assert roles == {"tasker"}


def customer_source(stack: Stack) -> dict[str, str]:
    """A bucket of "the customer's" (the stack's MinIO, under the installed credentials' name), empty
    under the prefix the import recipe names."""
    minio = raw_minio(stack)
    bucket = unique("matrix-source")
    minio.make_bucket(bucket)
    return {
        "endpoint": stack.env["ENCLAVE_S3_ENDPOINT"],
        "bucket": bucket,
        "prefix": "nothing-here/",
        "credentials": CUSTOMER_CREDENTIALS,
    }
