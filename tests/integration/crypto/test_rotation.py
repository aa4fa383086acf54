"""Rotating an organization's key through the api, against the real Vault-API server: data keys are
re-wrapped under the new version in the background, the old version is then retired, and everything
sealed before the rotation still reads."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from enclave.crypto.kms import KeyUnusable, TenantKeys
from enclave.settings import TLSSettings, VaultSettings
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import BOX, Tenant, sql_as_tenant
from tests.integration.stack import Stack


def wrapped_keys(org: uuid.UUID) -> list[str]:
    return [str(row[0]) for row in sql_as_tenant(org, "SELECT wrapped FROM data_keys ORDER BY created_at")]


def wait_for_rotation(tenant: Tenant, version: int) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        status = tenant.ok("GET", "/organization/key")
        if status["min_decryption_version"] == version:
            return dict(status)
        assert time.monotonic() < deadline, f"rotation did not finish: {status}"
        time.sleep(0.2)


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


def test_rotation_rewraps_retires_the_old_version_and_keeps_every_byte(tenant: Tenant) -> None:
    dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})["id"]
    data = png(1500)
    item = tenant.ok("POST", f"/datasets/{dataset}/files", content=data, headers=named("before.png"))
    project, _ = tenant.project_with_items(1)
    (task,) = [t["id"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"]]
    annotator = tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.ok("PATCH", f"/tasks/{task}", json={"assignee_id": str(annotator)}, headers={"If-Match": "*"})
    tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})

    before = tenant.ok("GET", "/organization/key")
    assert (before["latest_version"], before["min_decryption_version"]) == (1, 1)
    assert set(before["data_keys_by_version"]) == {"1"}
    old_wrapped = wrapped_keys(tenant.org_id)
    assert old_wrapped
    assert all(w.startswith("vault:v1:") for w in old_wrapped)

    started = tenant.call("POST", "/organization/key/rotations")
    assert started.status_code == 202
    assert started.json() == {"latest_version": 2}
    after = wait_for_rotation(tenant, 2)
    assert after["latest_version"] == 2
    assert after["data_keys_by_version"] == {"2": len(old_wrapped)}
    assert all(w.startswith("vault:v2:") for w in wrapped_keys(tenant.org_id))

    # Everything sealed before still opens, through the re-wrapped keys.
    assert tenant.call("GET", f"/items/{item['id']}/content").content == data
    history = tenant.ok("GET", f"/tasks/{task}/annotations")["items"]
    assert history[0]["payload"]["objects"][0]["label"] == "car"

    # The old wrapped forms open nothing any more, even for a process that never saw them.
    keys = TenantKeys(VaultSettings(token_file=None), TLSSettings())
    for wrapped in old_wrapped:
        with pytest.raises(KeyUnusable):
            keys.unwrap(tenant.org_id, wrapped)

    # New content gets a new data key, wrapped under the new version.
    tenant.ok("POST", f"/datasets/{dataset}/files", content=png(200), headers=named("after.png"))
    newest = wrapped_keys(tenant.org_id)
    assert len(newest) == len(old_wrapped) + 1
    assert newest[-1].startswith("vault:v2:")


def test_only_admins_rotate(tenant: Tenant) -> None:
    member = tenant.member("member")
    assert tenant.call("POST", "/organization/key/rotations", member).status_code == 403
    assert tenant.ok("GET", "/organization/key")["latest_version"] == 1


def test_rotations_racing_uploads_lose_nothing(tenant: Tenant, api_url: str, stack: Stack) -> None:
    """Five rotations fired while uploads run: every item sealed in between still opens once the last
    rotation has finished, and every data key ends up under the newest version."""
    dataset = tenant.ok("POST", "/datasets", json={"name": "race", "kind": "image"})["id"]
    uploaded: dict[str, bytes] = {}

    def upload(n: int) -> None:
        with httpx.Client(base_url=api_url, verify=stack.tls, timeout=60) as client:
            data = png(2000 + n)
            response = client.post(
                f"/api/v1/datasets/{dataset}/files",
                content=data,
                headers=tenant.headers() | named(f"{n}.png"),
            )
            assert response.status_code == 201, response.text
            uploaded[response.json()["id"]] = data

    with ThreadPoolExecutor(max_workers=6) as pool:
        uploads = [pool.submit(upload, n) for n in range(40)]
        for _ in range(5):
            assert tenant.call("POST", "/organization/key/rotations").status_code == 202
        for future in uploads:
            future.result()
    final = wait_for_rotation(tenant, 6)
    assert list(final["data_keys_by_version"]) == ["6"]
    for item_id, data in uploaded.items():
        assert tenant.call("GET", f"/items/{item_id}/content").content == data
