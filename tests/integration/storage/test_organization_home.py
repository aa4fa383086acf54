"""An organization made with its own bucket (the operator's ``spec.storage.mode: Existing``): the api
and the worker keep every one of its objects there (uploads, import inputs, export artifacts), never
in a managed bucket of the installation's; its credentials are installed under its id, as the
operator's copy in a mounted Secret holds them; without them it is a 503 with nothing stored
anywhere; and its home can never change once it is made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from minio import Minio

from enclave.crypto.segmented import MAGIC
from enclave.db.repositories.organizations import CustomerBucket
from enclave.storage.homes import credentials_name
from enclave.storage.objects import bucket_name
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.jobs.jobs import export
from tests.integration.stack import Stack
from tests.support.minio import scratch_bucket
from tests.support.stack_fixtures import install_s3_credentials
from tests.support.worker_process import running_worker

pytestmark = pytest.mark.stack


@pytest.fixture
def customer_bucket(minio: Minio) -> Iterator[str]:
    with scratch_bucket(minio, "own") as name:
        yield name


def home(stack: Stack, bucket: str) -> CustomerBucket:
    return CustomerBucket(stack.env["ENCLAVE_S3_ENDPOINT"], bucket, "us-east-1")


def keys(minio: Minio, bucket: str) -> list[str]:
    return sorted(str(o.object_name) for o in minio.list_objects(bucket, recursive=True))


@pytest.fixture
def tenant(api: httpx.Client, stack: Stack, s3_credentials: Path, customer_bucket: str) -> Tenant:
    """An organization at home in ``customer_bucket``, its credentials installed under its id."""
    made = Tenant.create(api, home=home(stack, customer_bucket))
    install_s3_credentials(stack, s3_credentials, credentials_name(made.org_id))
    return made


def test_uploads_are_kept_in_the_organization_bucket_only(
    tenant: Tenant, minio: Minio, customer_bucket: str
) -> None:
    dataset = tenant.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})
    assert dataset["storage"] is None  # the dataset names no place of its own: the organization's
    data = png(150_000)
    item = tenant.ok("POST", f"/datasets/{dataset['id']}/files", content=data, headers=named("a.png"))

    assert keys(minio, customer_bucket) == [item["id"]]
    assert not minio.bucket_exists(bucket_name(tenant.org_id))  # no managed bucket was ever made
    stored = minio.get_object(customer_bucket, item["id"]).read()
    assert stored.startswith(MAGIC)
    assert data[1000:1100] not in stored
    assert tenant.call("GET", f"/items/{item['id']}/content").content == data
    ranged = tenant.call("GET", f"/items/{item['id']}/content", headers={"Range": "bytes=500-1499"})
    assert ranged.content == data[500:1500]


def test_the_worker_keeps_imports_and_exports_there_too(
    tenant: Tenant, stack: Stack, s3_credentials: Path, minio: Minio, customer_bucket: str, tmp_path: Path
) -> None:
    project, _ = tenant.project_with_items(3)
    # An import's input is stored by the api when it is asked for (no worker runs yet: it waits).
    asked = tenant.call(
        "POST", f"/projects/{project}/imports", content=b"[]", headers={"Content-Type": "application/json"}
    )
    assert asked.status_code == 202, asked.text
    assert keys(minio, customer_bucket) == [f"jobs/{asked.json()['id']}/0/input"]
    tenant.ok("POST", f"/projects/{project}/jobs/{asked.json()['id']}/cancellation")
    worker = {
        "ENCLAVE_S3_EXTERNAL_ENDPOINTS": json.dumps([stack.env["ENCLAVE_S3_ENDPOINT"]]),
        "ENCLAVE_S3_EXTERNAL_SECRETS_DIR": str(s3_credentials),
    }
    with running_worker(stack, tmp_path / "worker.log", worker):
        job, artifact = export(tenant, project, "label-studio", include_unfinished=True)
    tasks = json.loads(artifact)
    assert len(tasks) == 3

    stored = keys(minio, customer_bucket)
    assert [key for key in stored if key.startswith(f"jobs/{job['id']}/")] == [f"jobs/{job['id']}/1/artifact"]
    assert minio.get_object(customer_bucket, f"jobs/{job['id']}/1/artifact").read().startswith(MAGIC)
    assert not minio.bucket_exists(bucket_name(tenant.org_id))


def test_without_its_credentials_it_is_a_503_and_nothing_is_stored(
    api: httpx.Client, stack: Stack, minio: Minio, customer_bucket: str
) -> None:
    stranded = Tenant.create(api, home=home(stack, customer_bucket))  # nothing installed under its id
    dataset = stranded.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})
    response = stranded.call(
        "POST", f"/datasets/{dataset['id']}/files", content=png(20_000), headers=named("a.png")
    )

    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nothing was written" in response.json()["detail"]
    assert keys(minio, customer_bucket) == []
    assert not minio.bucket_exists(bucket_name(stranded.org_id))  # no fallback to a managed bucket
    assert stranded.ok("GET", f"/datasets/{dataset['id']}/items")["items"] == []


CHANGES = {
    "another bucket": "UPDATE organizations SET storage_bucket = 'elsewhere' WHERE id = :o",
    "another endpoint": "UPDATE organizations SET storage_endpoint = 'https://other.example' WHERE id = :o",
    "no home": "UPDATE organizations SET storage_endpoint = NULL, storage_bucket = NULL, "
    "storage_region = NULL WHERE id = :o",
}


@pytest.mark.parametrize("change", CHANGES)
def test_its_home_can_never_change(tenant: Tenant, change: str) -> None:
    with pytest.raises(Exception, match="never changed"):
        sql_as_tenant(tenant.org_id, CHANGES[change], o=tenant.org_id)


def test_a_managed_organization_cannot_be_given_a_home_later(api: httpx.Client) -> None:
    managed = Tenant.create(api)
    with pytest.raises(Exception, match="never changed"):
        sql_as_tenant(
            managed.org_id,
            "UPDATE organizations SET storage_endpoint = 'https://x.example', storage_bucket = 'theirs', "
            "storage_region = 'us-east-1' WHERE id = :o",
            o=managed.org_id,
        )
