"""An organization made with its own KMS (another Vault-API server, another transit mount: the
operator's ``spec.kms``): the api and the worker wrap its data keys there, signed in with its own
AppRole (installed by name, as the operator's copy in a mounted Secret holds it), whose policy
reaches that organization's key only; its key is nowhere in the installation's mount. Without its
credentials, or at an address the installation does not allow, it is a 503 and nothing is written.

The "other" server is the stack's OpenBao under the other name its certificate holds, so the api sees
another address, another mount and other credentials, and nothing here is a stand-in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import hvac
import pytest
from minio import Minio

from enclave.crypto.kms import key_name
from enclave.crypto.tenant_kms import credentials_name
from enclave.db.repositories.organizations import OwnKms
from enclave.operator.tenant_policy import policy_name, policy_text
from enclave.settings import read_secret
from enclave.storage.objects import bucket_name
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.jobs.jobs import export
from tests.integration.stack import Stack
from tests.support.stack_fixtures import own_kms_address
from tests.support.superuser import execute_past_triggers
from tests.support.worker_process import running_worker

pytestmark = pytest.mark.stack

MOUNT = "customer-transit"


@pytest.fixture(scope="module")
def root(migrated: Stack) -> hvac.Client:
    """OpenBao as its root: the customer's administrator, making their mount and the tenant's role."""
    client = hvac.Client(
        url=migrated.env["ENCLAVE_VAULT_URL"],
        token=read_secret(Path(migrated.env["ENCLAVE_VAULT_TOKEN_FILE"])),
        verify=migrated.ca_file,
    )
    if f"{MOUNT}/" not in client.sys.list_mounted_secrets_engines()["data"]:
        client.sys.enable_secrets_engine("transit", path=MOUNT)
    return client


@pytest.fixture
def own_kms(migrated: Stack) -> OwnKms:
    return OwnKms(own_kms_address(migrated), MOUNT)


@contextmanager
def sign_in_role(root: hvac.Client, organization_id: uuid.UUID, folder: Path) -> Iterator[None]:
    """The tenant's AppRole in its KMS, bound to its own policy, installed in ``folder`` under its id."""
    policy, role = policy_name(organization_id), f"test-{policy_name(organization_id)}"
    root.sys.create_or_update_acl_policy(policy, policy_text(organization_id, MOUNT))
    root.auth.approle.create_or_update_approle(role, token_policies=[policy], token_ttl="10m")
    role_id = root.auth.approle.read_role_id(role)["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id(role)["data"]["secret_id"]
    name = credentials_name(organization_id)
    for part, value in (("vault_role_id", role_id), ("vault_secret_id", secret_id)):
        target = folder / f"{name}.{part}"
        target.write_text(value)
        target.chmod(0o600)
    try:
        yield
    finally:
        root.auth.approle.delete_role(role)
        root.sys.delete_acl_policy(policy)


@pytest.fixture
def tenant(api: httpx.Client, root: hvac.Client, own_kms: OwnKms, s3_credentials: Path) -> Iterator[Tenant]:
    made = Tenant.create(api, kms=own_kms)
    with sign_in_role(root, made.org_id, s3_credentials):
        yield made


def wrapped_keys(tenant: Tenant) -> list[str]:
    rows = sql_as_tenant(
        tenant.org_id, "SELECT wrapped FROM data_keys WHERE organization_id = :o", o=tenant.org_id
    )
    return [str(row[0]) for row in rows]


def test_its_data_keys_are_wrapped_in_its_own_kms_only(tenant: Tenant, root: hvac.Client) -> None:
    dataset = tenant.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})
    data = png(40_000)
    item = tenant.ok("POST", f"/datasets/{dataset['id']}/files", content=data, headers=named("a.png"))
    assert tenant.call("GET", f"/items/{item['id']}/content").content == data

    wrapped = wrapped_keys(tenant)
    assert wrapped
    key = key_name(tenant.org_id)
    for value in wrapped:  # each opens in its own mount...
        assert root.secrets.transit.decrypt_data(key, value, mount_point=MOUNT)["data"]["plaintext"]
    with pytest.raises(hvac.exceptions.InvalidPath):  # ...and its key is not in the installation's
        root.secrets.transit.read_key(key)


def test_the_worker_opens_them_there_too(
    tenant: Tenant, stack: Stack, s3_credentials: Path, tmp_path: Path
) -> None:
    project, _ = tenant.project_with_items(2)
    settings = {
        "ENCLAVE_VAULT_EXTERNAL_ENDPOINTS": json.dumps([own_kms_address(stack)]),
        "ENCLAVE_VAULT_EXTERNAL_SECRETS_DIR": str(s3_credentials),
    }
    with running_worker(stack, tmp_path / "worker.log", settings):
        job, artifact = export(tenant, project, "label-studio", include_unfinished=True)
    assert job["state"] == "succeeded"
    assert len(json.loads(artifact)) == 2


def test_without_its_credentials_it_is_a_503_and_nothing_is_written(
    api: httpx.Client, own_kms: OwnKms, minio: Minio
) -> None:
    stranded = Tenant.create(api, kms=own_kms)  # no AppRole installed under its id
    dataset = stranded.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})
    response = stranded.call(
        "POST", f"/datasets/{dataset['id']}/files", content=png(20_000), headers=named("a.png")
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert wrapped_keys(stranded) == []
    assert stranded.ok("GET", f"/datasets/{dataset['id']}/items")["items"] == []
    bucket = bucket_name(stranded.org_id)
    assert not minio.bucket_exists(bucket) or list(minio.list_objects(bucket)) == []


def test_a_kms_the_installation_does_not_allow_is_never_asked(
    api: httpx.Client, stack: Stack, own_kms: OwnKms, root: hvac.Client, s3_credentials: Path
) -> None:
    # Made in an allowed place, then pointed (past the trigger that forbids it) at one the api was
    # never given: its credentials are installed, yet nothing is asked of that address.
    moved = Tenant.create(api, kms=own_kms)
    statement = "UPDATE organizations SET kms_address = $1 WHERE id = $2"
    asyncio.run(execute_past_triggers(stack, statement, "https://kms.invalid:8200", moved.org_id))
    with sign_in_role(root, moved.org_id, s3_credentials):
        dataset = moved.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})
        upload = moved.call(
            "POST", f"/datasets/{dataset['id']}/files", content=png(20_000), headers=named("a.png")
        )
        assert upload.status_code == 503, upload.text
        assert wrapped_keys(moved) == []
