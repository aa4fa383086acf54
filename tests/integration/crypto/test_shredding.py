"""Terminating an organization, then crypto-shredding it after its export window: the ciphertext is
still on disk and in the database, and nobody — the api, or Vault's own root — can open it again."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import hvac
import pytest
from hvac import exceptions as vault_errors

from enclave.crypto.kms import key_name
from enclave.crypto.segmented import MAGIC
from enclave.storage.objects import bucket_name
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.stack import Stack
from tests.support.minio import raw_minio


def shredder(stack: Stack) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "enclave.organizations.shredder"],
        env=os.environ | stack.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


def test_terminate_export_then_shred(tenant: Tenant, stack: Stack) -> None:
    dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})["id"]
    data = png(5000)
    item = tenant.ok("POST", f"/datasets/{dataset}/files", content=data, headers=named("scan.png"))
    organization = tenant.call("GET", "/organization")
    settings = organization.json()["settings"] | {"retention_days": 0}
    tenant.ok(
        "PATCH",
        "/organization",
        json={"settings": settings},
        headers={"If-Match": organization.headers["etag"]},
    )

    wrong = tenant.call("POST", "/organization/termination", json={"confirm": "someone-else"})
    assert wrong.status_code == 400
    terminated = tenant.ok("POST", "/organization/termination", json={"confirm": tenant.slug})
    assert terminated["shred_after"] == terminated["terminated_at"]

    # Terminated: read-only, and everything still readable (the export window).
    assert tenant.call("GET", f"/items/{item['id']}/content").content == data
    refused = tenant.call("POST", f"/datasets/{dataset}/files", content=png(100), headers=named("late.png"))
    assert refused.status_code == 409
    assert "terminated" in refused.json()["detail"]

    # (Other suites' organizations may be due too: only this one's line is this test's business.)
    assert f"shredded {tenant.org_id}" in shredder(stack).splitlines()
    assert str(tenant.org_id) not in shredder(stack)  # idempotent: nothing more to shred for it

    # Gone for the api...
    gone = tenant.call("GET", f"/items/{item['id']}/content")
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"

    # ...while the ciphertext is all still there...
    minio = raw_minio(stack)
    assert minio.get_object(bucket_name(tenant.org_id), item["id"]).read().startswith(MAGIC)
    wrapped = [str(row[0]) for row in sql_as_tenant(tenant.org_id, "SELECT wrapped FROM data_keys")]
    assert wrapped
    assert sql_as_tenant(tenant.org_id, "SELECT count(*) FROM data_items")[0][0] == 1

    # ...and not even Vault's root token can unwrap a data key: the transit key no longer exists.
    root = hvac.Client(
        url=stack.env["ENCLAVE_VAULT_URL"],
        token=stack.secret("ENCLAVE_VAULT_TOKEN_FILE"),
        verify=stack.ca_file,
    )
    with pytest.raises(vault_errors.InvalidPath):
        root.secrets.transit.read_key(name=key_name(tenant.org_id))
    for ciphertext in wrapped:
        with pytest.raises((vault_errors.InvalidPath, vault_errors.InvalidRequest)):
            root.secrets.transit.decrypt_data(name=key_name(tenant.org_id), ciphertext=ciphertext)


def test_not_shredded_before_the_window_ends(tenant: Tenant, stack: Stack) -> None:
    terminated = tenant.ok("POST", "/organization/termination", json={"confirm": tenant.slug})
    assert terminated["shred_after"] > terminated["terminated_at"]  # 30 days by default
    assert str(tenant.org_id) not in shredder(stack)
    assert tenant.call("GET", "/organization/key").status_code == 200
