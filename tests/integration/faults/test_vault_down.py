"""Fail closed: with the Vault-API server actually stopped mid-run, every write of customer content
and every read of it answers 503 with a clear message, and nothing is written — no row, no object, no
plaintext fallback. Started again, the same requests succeed."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from enclave.storage.objects import bucket_name
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import BOX, Tenant, sql_as_tenant
from tests.integration.stack import STACK, Stack
from tests.support.minio import raw_minio

#: Longer than the api's key check interval (2 s): cached keys are no longer trusted after it.
KEY_CHECK_WAIT_S = 3.0
COUNTED = ("data_items", "annotation_versions", "reviews", "data_keys")


def counts(tenant: Tenant) -> dict[str, int]:
    found = {}
    for table in COUNTED:
        statement = f"SELECT count(*) FROM {table}"  # noqa: S608 — table names from the constant above
        found[table] = int(sql_as_tenant(tenant.org_id, statement)[0][0])
    return found


@pytest.fixture
def openbao_stopped(stack: Stack) -> Iterator[None]:
    subprocess.run([str(STACK), "down", "openbao"], check=True, capture_output=True)
    try:
        time.sleep(KEY_CHECK_WAIT_S)
        yield
    finally:
        subprocess.run([str(STACK), "up", "openbao"], check=True, capture_output=True)


def test_vault_down_means_503_and_nothing_written(
    api: httpx.Client, stack: Stack, request: pytest.FixtureRequest
) -> None:
    tenant = Tenant.create(api)
    dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})["id"]
    texts = tenant.ok("POST", "/datasets", json={"name": "t", "kind": "text"})["id"]
    stored = tenant.ok("POST", f"/datasets/{dataset}/files", content=png(3000), headers=named("a.png"))
    project, _ = tenant.project_with_items(2)
    annotator, reviewer = tenant.member("member"), tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.join(project, reviewer, "reviewer")
    first, second = [t["id"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"]]
    for task in (first, second):
        body = {"assignee_id": str(annotator), "reviewer_id": str(reviewer)}
        tenant.ok("PATCH", f"/tasks/{task}", json=body, headers={"If-Match": "*"})
    tenant.ok("POST", f"/tasks/{second}/annotations", annotator, json={"payload": BOX})  # waits for review
    minio = raw_minio(stack)
    bucket = bucket_name(tenant.org_id)
    before_rows = counts(tenant)
    before_objects = sorted(o.object_name for o in minio.list_objects(bucket, recursive=True))

    request.getfixturevalue("openbao_stopped")
    attempts = {
        "upload": lambda: tenant.call(
            "POST", f"/datasets/{dataset}/files", content=png(100), headers=named("b.png")
        ),
        "metadata import": lambda: tenant.call(
            "POST", f"/datasets/{dataset}/items", json={"items": [{"name": "m", "media_type": "image/png"}]}
        ),
        "text import": lambda: tenant.call(
            "POST",
            f"/datasets/{texts}/texts",
            content=b'{"text": "x"}\n',
            headers={"Content-Type": "application/jsonl"},
        ),
        "label": lambda: tenant.call("POST", f"/tasks/{first}/annotations", annotator, json={"payload": BOX}),
        "review": lambda: tenant.call(
            "POST", f"/tasks/{second}/reviews", reviewer, json={"decision": "reject", "comment": "redo"}
        ),
        "content read": lambda: tenant.call("GET", f"/items/{stored['id']}/content"),
        "item list": lambda: tenant.call("GET", f"/datasets/{dataset}/items"),
        "label read": lambda: tenant.call("GET", f"/tasks/{second}/annotations"),
    }
    for what, attempt in attempts.items():
        response = attempt()
        assert response.status_code == 503, (what, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", what
        assert "key management service is unreachable" in response.json()["detail"], what

    assert counts(tenant) == before_rows
    assert sorted(o.object_name for o in minio.list_objects(bucket, recursive=True)) == before_objects
    stages = {t["id"]: t["stage"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"]}
    assert stages == {first: "annotate", second: "review"}

    # Back up: the same requests go through.
    subprocess.run([str(STACK), "up", "openbao"], check=True, capture_output=True)
    assert attempts["upload"]().status_code == 201
    assert attempts["label"]().status_code == 201
    assert attempts["content read"]().status_code == 200
