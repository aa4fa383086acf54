"""Schemathesis against the live api: every operation of ``/api/v1/openapi.json``, with generated
valid and invalid requests, must answer without a server error and as its documentation says
(a documented status code, its content type, a body that fits its schema).

Every request comes from the admin of a tenant provisioned for this module, and the generated ids
are mixed with that tenant's real ones (project, task, member, ontology, dataset) and If-Match with
``*``, so the requests reach past the 404s and 428s into the handlers. Generation is deterministic
(Hypothesis derandomized, no example database, no shrinking) and bounded, so a run is reproducible
and takes a minute or two.

Not ``schemathesis.pytest.from_fixture(...).parametrize()``: its lazy loader sets ``Node._nodeid``,
which pytest 9 no longer has. Each operation's test is built here from ``operation.as_strategy()``,
parametrized by the route table's operation ids, so a route missing from the document fails too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.handlers import HTTPRouteHandler
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from enclave.api.v1.routes import V1_CONTROLLERS
from tests.integration.domain.world import BOX, Tenant
from tests.integration.stack import Stack

#: Per operation, valid and invalid requests together: about a minute and a half for the whole api.
MAX_EXAMPLES = 50
#: What every answer must satisfy. `negative_data_rejection` is left out for now: Litestar converts
#: request bodies leniently (`0` or `"false"` for a boolean, `"7"` for an integer are accepted), so
#: that check fails on schema-violating requests the api accepts on purpose.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
#: Body fields that name another resource of the tenant, and the pool each is drawn from.
BODY_REFERENCES = {
    "ontology_id": "ontology_id",
    "project_id": "project_id",
    "dataset_id": "dataset_id",
    "user_id": "user_id",
    "assignee_id": "user_id",
    "reviewer_id": "user_id",
}


@dataclass(frozen=True)
class Seeds:
    """A tenant's real ids, by the path parameter that takes them. DELETE operations draw from
    ``doomed``, so they use up their own rows and not the ones the other operations need."""

    tenant: Tenant
    ids: dict[str, tuple[str, ...]]
    doomed: dict[str, tuple[str, ...]]

    def pool(self, name: str, method: str) -> tuple[str, ...]:
        return (self.doomed if method.upper() == "DELETE" else self.ids).get(name, ())


def seed_tenant(tenant: Tenant) -> Seeds:
    """A project with work in every stage, members and API keys to point at, spares for deletion."""
    project, dataset = tenant.project_with_items(10)
    ontology = tenant.ok("GET", f"/projects/{project}")["ontology_id"]
    members = [tenant.member("member") for _ in range(3)]
    doomed_members = [tenant.member("member") for _ in range(3)]
    for user in [*members, *doomed_members]:
        tenant.join(project, user, "annotator_reviewer")
    # The admin works in the project too, so `tasks/next`, submissions and reviews can succeed.
    tenant.join(project, tenant.admin_id, "annotator_reviewer")
    annotated = tenant.ok("POST", f"/projects/{project}/tasks/next", members[0], json={})["task"]["id"]
    tenant.ok("POST", f"/tasks/{annotated}/annotations", members[0], json={"payload": BOX})
    tenant.ok("POST", f"/projects/{project}/tasks/next", json={"stage": "review"})  # the admin reviews
    held = tenant.ok("POST", f"/projects/{project}/tasks/next", json={"stage": "annotate"})["task"]["id"]
    tasks = [t["id"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"]]
    keys = [
        tenant.ok("POST", "/api-keys", json={"name": f"fuzz-{i}", "scopes": ["tasks:read"]})["key"]["id"]
        for i in range(3)
    ]
    spare = [t for t in tasks if t not in {annotated, held}]
    return Seeds(
        tenant,
        ids={
            "project_id": (project,),
            "task_id": (annotated, held, *spare[:4]),
            "user_id": tuple(str(u) for u in members),
            "ontology_id": (ontology,),
            "dataset_id": (dataset,),
            "key_id": tuple(keys),
        },
        doomed={
            "project_id": (project,),
            "task_id": tuple(spare[4:]),
            "user_id": tuple(str(u) for u in doomed_members),
            "key_id": tuple(keys),
        },
    )


@pytest.fixture(scope="module")
def client(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def seeds(client: httpx.Client) -> Seeds:
    return seed_tenant(Tenant.create(client))


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _or_seeded(generated: Any, pool: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """The generated id or, about half the time, one of the tenant's real ids. A value that is not
    an id at all was made invalid on purpose (negative generation) and is left as it is."""
    if not pool or not _is_uuid(generated):
        return st.just(generated)
    return st.one_of(st.just(generated), st.sampled_from(pool))


class IdPool(Protocol):
    def pool(self, name: str, method: str) -> tuple[str, ...]: ...


@pytest.fixture(scope="module")
def enclave_openapi(api_url: str, stack: Stack, seeds: Seeds) -> schemathesis.BaseSchema:
    """The live document, with hooks that mix the tenant's real ids into what is generated."""
    return openapi_with_ids(api_url, stack, seeds)


def openapi_with_ids(api_url: str, stack: Stack, seeds: IdPool) -> schemathesis.BaseSchema:
    """The live document, with hooks that mix real ids (``seeds.pool``: the tenant's, and for the
    role fuzzing another organization's too) into what is generated."""
    config = SchemathesisConfig.from_dict(
        {
            "base-url": api_url,
            "tls-verify": stack.ca_file,  # verified against the stack's CA, never switched off
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    loaded = schemathesis.openapi.from_url(
        f"{api_url}/api/v1/openapi.json", config=config, verify=stack.ca_file, timeout=30
    )

    @loaded.hook
    def flatmap_path_parameters(
        context: Any, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[Any]:
        if not path_parameters:
            return st.just(path_parameters)
        method = context.operation.method
        return st.fixed_dictionaries(
            {name: _or_seeded(value, seeds.pool(name, method)) for name, value in path_parameters.items()}
        )

    @loaded.hook
    def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        if not headers or "If-Match" not in headers:
            return st.just(headers)
        # "*" matches any version, so an update gets past the precondition into the handler.
        if_match = st.one_of(st.just(headers["If-Match"]), st.just("*"))
        return st.builds(dict, st.just(headers), **{"If-Match": if_match})

    @loaded.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        if not isinstance(body, dict) or not set(body) & set(BODY_REFERENCES):
            return st.just(body)
        method = context.operation.method
        return st.fixed_dictionaries(
            {
                key: _or_seeded(value, seeds.pool(BODY_REFERENCES[key], method))
                if key in BODY_REFERENCES
                else st.just(value)
                for key, value in body.items()
            }
        )

    return loaded


def operation_ids() -> list[str]:
    """Every v1 operation, from the route table: a route the live document lacks fails its test."""
    return [
        handler.operation_id
        for controller in V1_CONTROLLERS
        for handler in vars(controller).values()
        if isinstance(handler, HTTPRouteHandler)
    ]


@pytest.mark.parametrize("operation_id", operation_ids())
def test_operation_answers_as_documented(
    enclave_openapi: schemathesis.BaseSchema, seeds: Seeds, operation_id: str
) -> None:
    operation = enclave_openapi.find_operation_by_id(operation_id)  # type: ignore[attr-defined]
    headers = seeds.tenant.headers()
    modes = [GenerationMode.POSITIVE]
    if operation.path_parameters or operation.query or operation.headers or operation.body:
        modes.append(GenerationMode.NEGATIVE)  # there is something to make invalid

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the api keeps state between calls
        suppress_health_check=list(HealthCheck),  # generation is cheap; the calls are what is slow
        print_blob=False,
    )
    @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes)))
    def answers_as_documented(case: Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers)

    answers_as_documented()
