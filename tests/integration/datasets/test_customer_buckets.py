"""The customer's own S3: a dataset that keeps its objects in the customer's bucket (ciphertext only,
under its prefix), and imports from a bucket listing (the customer's plaintext files brought in,
encrypted, through the same path as uploads). Only allowed endpoints and installed credentials work."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from minio import Minio

from enclave.crypto.segmented import MAGIC
from enclave.storage.objects import bucket_name
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support.minio import scratch_bucket
from tests.support.stack_fixtures import CUSTOMER_CREDENTIALS


@pytest.fixture
def customer_bucket(minio: Minio) -> Iterator[str]:
    with scratch_bucket(minio, "customer") as name:
        yield name


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


def where(stack: Stack, bucket: str, prefix: str = "", **changes: str) -> dict[str, str]:
    return {
        "endpoint": stack.env["ENCLAVE_S3_ENDPOINT"],
        "bucket": bucket,
        "prefix": prefix,
        "credentials": CUSTOMER_CREDENTIALS,
    } | changes


def keys(minio: Minio, bucket: str) -> list[str]:
    if not minio.bucket_exists(bucket):
        return []
    return sorted(str(o.object_name) for o in minio.list_objects(bucket, recursive=True))


class TestDatasetInACustomerBucket:
    def test_objects_go_to_the_customer_bucket_as_ciphertext(
        self, tenant: Tenant, stack: Stack, minio: Minio, customer_bucket: str
    ) -> None:
        storage = where(stack, customer_bucket, "enclave/scans/")
        dataset = tenant.ok("POST", "/datasets", json={"name": "theirs", "kind": "image", "storage": storage})
        assert dataset["storage"] == storage | {"region": "us-east-1"}
        data = png(200_000)
        item = tenant.ok("POST", f"/datasets/{dataset['id']}/files", content=data, headers=named("x.png"))

        assert keys(minio, customer_bucket) == [f"enclave/scans/{item['id']}"]
        assert keys(minio, bucket_name(tenant.org_id)) == []  # nothing in the organization's bucket
        stored = minio.get_object(customer_bucket, f"enclave/scans/{item['id']}").read()
        assert stored.startswith(MAGIC)
        assert data[100:200] not in stored
        assert tenant.call("GET", f"/items/{item['id']}/content").content == data
        ranged = tenant.call("GET", f"/items/{item['id']}/content", headers={"Range": "bytes=1000-1999"})
        assert ranged.content == data[1000:2000]

    @pytest.mark.parametrize(
        ("change", "says"),
        [
            ({"endpoint": "https://s3.example.com"}, "not one the installation allows"),
            ({"credentials": "nobody-installed-these"}, "No S3 credentials named"),
            ({"credentials": "../etc"}, "lowercase name"),
            ({"bucket": "Not_A_Bucket"}, "valid S3 bucket name"),
            ({"bucket": "no-such-bucket-here"}, "does not exist"),
        ],
    )
    def test_a_location_that_cannot_be_used_is_400(
        self, tenant: Tenant, stack: Stack, customer_bucket: str, change: dict[str, str], says: str
    ) -> None:
        body = {"name": "x", "kind": "image", "storage": where(stack, customer_bucket) | change}
        response = tenant.call("POST", "/datasets", json=body)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"]
        assert stack.secret("ENCLAVE_S3_SECRET_KEY_FILE") not in response.text
        assert tenant.ok("GET", "/datasets")["items"] == []


class TestImportFromABucketListing:
    def test_imports_pages_and_rejects_what_is_not_an_image(
        self, tenant: Tenant, stack: Stack, minio: Minio, customer_bucket: str
    ) -> None:
        files = {f"incoming/{n:02}.png": png(5_000 + n) for n in range(5)}
        files["incoming/notes.txt"] = b"not an image"
        files["elsewhere/skip.png"] = png(100)
        for key, data in files.items():
            minio.put_object(customer_bucket, key, io.BytesIO(data), len(data))
        dataset = tenant.ok("POST", "/datasets", json={"name": "imported", "kind": "image"})["id"]
        source = where(stack, customer_bucket, "incoming/")

        first = tenant.ok("POST", f"/datasets/{dataset}/imports", json={"source": source, "limit": 4})
        assert first == {"created": 4, "rejected": [], "next_start_after": "incoming/03.png"}
        second = tenant.ok(
            "POST",
            f"/datasets/{dataset}/imports",
            json={"source": source, "start_after": first["next_start_after"]},
        )
        assert second["created"] == 1
        assert [r["key"] for r in second["rejected"]] == ["incoming/notes.txt"]
        assert "not a supported image" in second["rejected"][0]["reason"]
        assert second["next_start_after"] is None

        items = tenant.ok("GET", f"/datasets/{dataset}/items")["items"]
        assert sorted(i["name"] for i in items) == [f"{n:02}.png" for n in range(5)]
        for item in items:
            assert (
                tenant.call("GET", f"/items/{item['id']}/content").content
                == files[f"incoming/{item['name']}"]
            )
        # Imported bytes are stored as ciphertext in the organization's bucket, one object per item.
        stored = keys(minio, bucket_name(tenant.org_id))
        assert sorted(stored) == sorted(i["id"] for i in items)
        assert all(minio.get_object(bucket_name(tenant.org_id), k).read(4) == MAGIC for k in stored)

        again = tenant.ok("POST", f"/datasets/{dataset}/imports", json={"source": source})
        assert again["created"] == 0
        assert {r["reason"] for r in again["rejected"]} >= {"an item of this name is already in the dataset"}

    def test_an_unallowed_source_is_400_and_imports_nothing(self, tenant: Tenant, stack: Stack) -> None:
        dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})["id"]
        source = where(stack, "anything", endpoint="https://169.254.169.254")
        response = tenant.call("POST", f"/datasets/{dataset}/imports", json={"source": source})
        assert response.status_code == 400
        assert tenant.ok("GET", f"/datasets/{dataset}/items")["items"] == []
