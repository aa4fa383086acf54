"""Schemathesis against the live api as every kind of caller: an org admin, a member, a tasker who
annotates, a reviewer, an API key with one narrow scope, and nobody. Every answer must be no server
error and as the document says (status, content type, headers, body schema); and no answer may hold
anything of another organization.

Organization B is the other organization: it holds a marker in every field a response could echo
(the names of a dataset, a project, a text item and a member, and a text), and its ids are mixed
into the ids the generator draws from, next to organization A's own (the callers' home), so the
requests ask for B's rows by id as well. Every response body is searched for the marker and for
each of B's ids.

The number of cases is ``ENCLAVE_FUZZ_CASES``: a budget over all roles (default 600, about three
minutes here), spread evenly over roles and operations with at least one case each. Hypothesis runs
fewer than the budget where an operation has few distinct inputs (89 to 93% of it ran here: 9,786 of
11,000 on 2026-12-07), so ``make security`` sets 12,500 to run over 10,000; the figure printed is
what ran, at about four cases a second. Generation is deterministic (derandomized, no example
database, no shrinking), as in ``tests/integration/domain/test_openapi_fuzz.py``, whose seeding and
hooks this module reuses. Each role's test prints ``fuzz: <role>: <n> cases``; the module prints the
total.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.generation import GenerationMode

from tests.integration.domain.test_openapi_fuzz import (
    Seeds,
    openapi_with_ids,
    operation_ids,
    seed_tenant,
)
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_keys import bearer, forget_key_failures

#: Cases over all roles together; at least one per role and operation.
TOTAL_CASES = int(os.environ.get("ENCLAVE_FUZZ_CASES", "600"))
ROLES = ("org admin", "member", "tasker annotator", "reviewer", "narrow API key", "nobody")
#: Cases each role's test ran, for the module's summary.
RAN: Counter[str] = Counter()


@dataclass(frozen=True)
class Other:
    """Organization B: what of it must never appear in an answer to a caller of organization A."""

    tenant: Tenant
    marker: str
    ids: dict[str, tuple[str, ...]]

    def leaks(self, body: str, asked: str = "") -> list[str]:
        """What of B's is in ``body``; an id the request itself carried (``asked``) may be echoed
        back in a refusal and does not count, the marker always does (no request can hold it)."""
        found = [self.marker] if self.marker in body else []
        return found + [i for ids in self.ids.values() for i in ids if i in body and i not in asked]


def plant_other(client: httpx.Client) -> Other:
    """Organization B with the marker in every name and text, and a task in every stage."""
    b = Tenant.create(client)
    marker = f"LEAK-{uuid.uuid4().hex}"
    seeded = seed_tenant(b)  # B's own project, tasks, members and keys, made as in the A tenant
    project = seeded.ids["project_id"][0]
    b.ok("PATCH", f"/projects/{project}", json={"name": f"{marker}-project"}, headers={"If-Match": "*"})
    texts = b.ok("POST", "/datasets", json={"name": f"{marker}-texts", "kind": "text"})["id"]
    line = f'{{"name": "{marker}-note", "text": "{marker} confidential"}}\n'.encode()
    b.ok("POST", f"/datasets/{texts}/texts", content=line, headers={"Content-Type": "application/jsonl"})
    b.member("member", name=f"{marker}-person")
    ids = {name: pool for name, pool in seeded.ids.items()} | {
        "dataset_id": (*seeded.ids["dataset_id"], texts),
        "organization": (str(b.org_id),),
    }
    return Other(b, marker, ids)


@dataclass(frozen=True)
class World:
    seeds: Seeds
    other: Other
    callers: dict[str, dict[str, str]]

    def pool(self, name: str, method: str) -> tuple[str, ...]:
        """A's ids for ``name`` (as the API fuzz test draws them) and B's, to ask for B's rows too."""
        return self.seeds.pool(name, method) + self.other.ids.get(name, ())


def make_callers(seeds: Seeds) -> dict[str, dict[str, str]]:
    a = seeds.tenant
    project = seeds.ids["project_id"][0]
    member = a.member("member")
    tasker = a.member("tasker")
    a.join(project, tasker, "annotator")
    reviewer = a.member("member")
    a.join(project, reviewer, "reviewer")
    # A key of the admin's with a single read scope: it may read tasks and nothing else.
    secret = a.ok("POST", "/api-keys", json={"name": "fuzz-narrow", "scopes": ["tasks:read"]})["secret"]
    return {
        "org admin": a.headers(),
        "member": a.headers(member),
        "tasker annotator": a.headers(tasker),
        "reviewer": a.headers(reviewer),
        "narrow API key": bearer(secret),
        "nobody": {},
    }


@pytest.fixture(scope="module")
def client(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def world(client: httpx.Client, stack: Stack) -> Iterator[World]:
    forget_key_failures(stack)  # earlier tests' failed key attempts would throttle the key caller
    seeds = seed_tenant(Tenant.create(client))
    yield World(seeds, plant_other(client), make_callers(seeds))
    print(
        f"\nfuzz: {sum(RAN.values())} cases over {len(RAN)} roles: "
        + ", ".join(f"{r} {n}" for r, n in RAN.items())
    )


@pytest.fixture(scope="module")
def schema(api_url: str, stack: Stack, world: World) -> schemathesis.BaseSchema:
    return openapi_with_ids(api_url, stack, world)


def per_operation() -> int:
    return max(1, TOTAL_CASES // (len(ROLES) * len(operation_ids())))


#: pytest-timeout's limit for one role: a second a case at worst (about five a second is usual).
ROLE_TIMEOUT = max(300, TOTAL_CASES // len(ROLES))


@pytest.mark.timeout(ROLE_TIMEOUT)
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as(schema: schemathesis.BaseSchema, world: World, stack: Stack, role: str) -> None:
    headers = world.callers[role]
    failures: list[str] = []
    ran = 0
    if role == "narrow API key":
        forget_key_failures(stack)
    for operation_id in operation_ids():
        operation = schema.find_operation_by_id(operation_id)  # type: ignore[attr-defined]
        modes = [GenerationMode.POSITIVE]
        if operation.path_parameters or operation.query or operation.headers or operation.body:
            modes.append(GenerationMode.NEGATIVE)

        @settings(
            max_examples=per_operation(),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes)))
        def answers(case: Case) -> None:
            nonlocal ran
            ran += 1
            # The role's own credentials replace whatever the generator put in their place.
            response = case.call(headers=headers)
            asked = repr((case.path_parameters, case.query, case.body, case.headers))
            leaked = world.other.leaks(response.text, asked)
            assert not leaked, (
                f"{role}: {case.method} {case.formatted_path}: organization B's {leaked} in the answer"
            )
            case.validate_response(response, headers=headers)

        try:
            answers()
        except Exception as error:  # noqa: BLE001 - every operation is tried; all failures are reported
            failures.append(f"{operation_id}: {type(error).__name__}: {str(error)[:2000]}")
    RAN[role] = ran
    print(f"fuzz: {role}: {ran} cases over {len(operation_ids())} operations")
    evidence.add("fuzz cases run", ran)
    assert ran >= len(operation_ids())
    assert not failures, f"{len(failures)} operations failed as {role}:\n" + "\n\n".join(failures)


def test_the_leak_check_sees_what_organization_b_is_shown(world: World) -> None:
    """The search has teeth: B's own admin is shown the marker and B's ids, where A's callers must
    never be."""
    b, project = world.other.tenant, world.other.ids["project_id"][0]
    for path in (f"/projects/{project}", "/datasets", "/members", f"/projects/{project}/tasks"):
        response = b.call("GET", path)
        assert response.status_code == 200, response.text
        assert world.other.leaks(response.text), path
