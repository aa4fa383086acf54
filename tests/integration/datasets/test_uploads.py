"""Uploads stream encrypted into the organization's bucket; content comes back only through the api,
whole or by range, with the type the bytes proved; bad uploads get a clear 4xx and store nothing."""

from __future__ import annotations

import os
import socket
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from minio import Minio

from enclave.crypto.segmented import DEFAULT_SEGMENT, MAGIC
from enclave.storage.objects import bucket_name
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support.stack_fixtures import UPLOAD_LIMIT

#: A PNG's signature and the start of its IHDR chunk: what sniffing looks at.
PNG_HEAD = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def png(size: int) -> bytes:
    return PNG_HEAD + os.urandom(size - len(PNG_HEAD))


def named(name: str, content_type: str = "image/png") -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"'}


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


@pytest.fixture
def dataset(tenant: Tenant) -> str:
    return str(tenant.ok("POST", "/datasets", json={"name": "scans", "kind": "image"})["id"])


def objects(minio: Minio, tenant: Tenant) -> list[str]:
    bucket = bucket_name(tenant.org_id)
    if not minio.bucket_exists(bucket):
        return []
    return [str(o.object_name) for o in minio.list_objects(bucket, recursive=True)]


def items(tenant: Tenant, dataset: str) -> list[dict[str, object]]:
    return list(tenant.ok("GET", f"/datasets/{dataset}/items")["items"])


class TestUpload:
    def test_round_trip_over_several_segments(self, tenant: Tenant, dataset: str, minio: Minio) -> None:
        data = png(2 * DEFAULT_SEGMENT + 12_345)
        response = tenant.call("POST", f"/datasets/{dataset}/files", content=data, headers=named("chest.png"))
        assert response.status_code == 201, response.text
        item = response.json()
        assert (item["name"], item["media_type"], item["size"]) == ("chest.png", "image/png", len(data))

        got = tenant.call("GET", f"/items/{item['id']}/content")
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-type"] == "image/png"
        assert got.headers["cache-control"] == "private, no-store"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["accept-ranges"] == "bytes"

        # In the bucket: ciphertext in the ENC1 format, not the file.
        stored = minio.get_object(bucket_name(tenant.org_id), item["id"]).read()
        assert stored.startswith(MAGIC)
        assert data[len(PNG_HEAD) : len(PNG_HEAD) + 64] not in stored
        assert len(stored) > len(data)

    def test_streamed_without_content_length(self, tenant: Tenant, dataset: str) -> None:
        data = png(3 * 1024 * 1024 + 7)

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), 100_000):
                yield data[start : start + 100_000]

        response = tenant.call("POST", f"/datasets/{dataset}/files", content=chunks(), headers=named("s.png"))
        assert response.status_code == 201, response.text
        assert tenant.call("GET", f"/items/{response.json()['id']}/content").content == data

    @pytest.mark.parametrize(
        ("range_", "start", "end"),
        [
            ("bytes=0-0", 0, 1),
            ("bytes=10-99", 10, 100),
            (f"bytes={DEFAULT_SEGMENT - 5}-{DEFAULT_SEGMENT + 4}", DEFAULT_SEGMENT - 5, DEFAULT_SEGMENT + 5),
            (f"bytes={2 * DEFAULT_SEGMENT}-", 2 * DEFAULT_SEGMENT, 2 * DEFAULT_SEGMENT + 1000),
            ("bytes=-10", 2 * DEFAULT_SEGMENT + 990, 2 * DEFAULT_SEGMENT + 1000),
            ("bytes=5-999999999", 5, 2 * DEFAULT_SEGMENT + 1000),
        ],
    )
    def test_ranges(self, tenant: Tenant, dataset: str, range_: str, start: int, end: int) -> None:
        data = png(2 * DEFAULT_SEGMENT + 1000)
        item = tenant.ok("POST", f"/datasets/{dataset}/files", content=data, headers=named("r.png"))
        got = tenant.call("GET", f"/items/{item['id']}/content", headers={"Range": range_})
        assert got.status_code == 206
        assert got.content == data[start:end]
        assert got.headers["content-range"] == f"bytes {start}-{end - 1}/{len(data)}"

    def test_unsatisfiable_range_is_416(self, tenant: Tenant, dataset: str) -> None:
        item = tenant.ok("POST", f"/datasets/{dataset}/files", content=png(100), headers=named("x.png"))
        got = tenant.call("GET", f"/items/{item['id']}/content", headers={"Range": "bytes=100-"})
        assert got.status_code == 416
        assert got.headers["content-range"] == "bytes */100"
        assert got.content == b""

    def test_non_ascii_names(self, tenant: Tenant, dataset: str) -> None:
        name = "Röntgen — thorax 01.png"
        disposition = f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}"
        headers = {"Content-Type": "image/png", "Content-Disposition": disposition}
        item = tenant.ok("POST", f"/datasets/{dataset}/files", content=png(100), headers=headers)
        assert item["name"] == name
        assert [i["name"] for i in items(tenant, dataset)] == [name]


class TestRefusedUploads:
    @pytest.mark.parametrize(
        ("body", "headers", "status", "says"),
        [
            (png(100), {"Content-Type": "image/png"}, 400, "Content-Disposition"),
            (b"", named("e.png"), 400, "empty"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", named("x.svg", "image/svg+xml"), 415, "image"),
            (b"plain words", named("x.png"), 415, "image"),
            (png(100), named("x.png", "image/jpeg"), 415, "image/jpeg"),
        ],
    )
    def test_bad_uploads_store_nothing(
        self,
        tenant: Tenant,
        dataset: str,
        minio: Minio,
        body: bytes,
        headers: dict[str, str],
        status: int,
        says: str,
    ) -> None:
        response = tenant.call("POST", f"/datasets/{dataset}/files", content=body, headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"]
        assert items(tenant, dataset) == []
        assert objects(minio, tenant) == []

    def test_a_duplicate_name_is_409_and_stores_nothing_more(
        self, tenant: Tenant, dataset: str, minio: Minio
    ) -> None:
        tenant.ok("POST", f"/datasets/{dataset}/files", content=png(100), headers=named("same.png"))
        again = tenant.call("POST", f"/datasets/{dataset}/files", content=png(100), headers=named("same.png"))
        assert again.status_code == 409
        assert len(items(tenant, dataset)) == 1
        assert len(objects(minio, tenant)) == 1

    def test_over_the_limit_while_streaming_is_413_and_aborted(
        self, tenant: Tenant, dataset: str, minio: Minio
    ) -> None:
        def chunks() -> Iterator[bytes]:
            yield PNG_HEAD
            for _ in range(UPLOAD_LIMIT // (1024 * 1024) + 1):
                yield os.urandom(1024 * 1024)

        response = tenant.call(
            "POST", f"/datasets/{dataset}/files", content=chunks(), headers=named("big.png")
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert items(tenant, dataset) == []
        assert objects(minio, tenant) == []
        bucket = bucket_name(tenant.org_id)
        assert list(minio._list_multipart_uploads(bucket).uploads) == []  # the multipart upload was aborted

    def test_an_announced_length_over_the_limit_is_413_before_reading(
        self, api_url: str, stack: Stack, tenant: Tenant, dataset: str, minio: Minio
    ) -> None:
        # An HTTP client will not announce more than it sends; a raw TLS socket will, as an attacker's.
        url = urllib.parse.urlsplit(api_url)
        head = "\r\n".join(
            [
                f"POST /api/v1/datasets/{dataset}/files HTTP/1.1",
                f"Host: {url.netloc}",
                *(f"{k}: {v}" for k, v in (tenant.headers() | named("big.png")).items()),
                f"Content-Length: {UPLOAD_LIMIT + 1}",
                "",
                "",
            ]
        )
        with (
            socket.create_connection((url.hostname, url.port)) as raw,
            stack.tls.wrap_socket(raw, server_hostname=url.hostname) as conn,
        ):
            conn.sendall(head.encode() + PNG_HEAD)
            status_line = conn.recv(4096).split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
        assert items(tenant, dataset) == []
        assert objects(minio, tenant) == []

    def test_text_datasets_take_utf8_text_only(self, tenant: Tenant) -> None:
        texts = tenant.ok("POST", "/datasets", json={"name": "notes", "kind": "text"})["id"]
        ok = tenant.call(
            "POST",
            f"/datasets/{texts}/files",
            content="Grüße\n".encode(),
            headers=named("n.txt", "text/plain"),
        )
        assert ok.status_code == 201
        assert ok.json()["media_type"] == "text/plain; charset=utf-8"
        refused = tenant.call("POST", f"/datasets/{texts}/files", content=png(100), headers=named("p.png"))
        assert refused.status_code == 415


class TestTextImport:
    def test_jsonl_and_csv_become_sealed_text_items(self, tenant: Tenant) -> None:
        texts = tenant.ok("POST", "/datasets", json={"name": "reports", "kind": "text"})["id"]
        jsonl = (
            b'{"name": "r1", "text": "No acute findings.", "attributes": {"site": "A"}}\n'
            b'{"text": "Effusion left."}\n'
        )
        imported = tenant.ok(
            "POST", f"/datasets/{texts}/texts", content=jsonl, headers={"Content-Type": "application/jsonl"}
        )
        assert imported == {"created": 2}
        csv_body = b'name,text,ward\nr3,"Line one, with a comma",B\n'
        imported = tenant.ok(
            "POST", f"/datasets/{texts}/texts", content=csv_body, headers={"Content-Type": "text/csv"}
        )
        assert imported == {"created": 1}
        by_name = {i["name"]: i for i in items(tenant, texts)}
        assert set(by_name) == {"r1", "2", "r3"}
        assert by_name["r1"]["attributes"] == {"site": "A"}
        assert by_name["r3"]["attributes"] == {"ward": "B"}
        body = tenant.call("GET", f"/items/{by_name['r3']['id']}/content")
        assert body.status_code == 200
        assert body.text == "Line one, with a comma"
        assert body.headers["content-type"] == "text/plain; charset=utf-8"
        ranged = tenant.call("GET", f"/items/{by_name['r1']['id']}/content", headers={"Range": "bytes=3-7"})
        assert (ranged.status_code, ranged.content) == (206, b"acute")

    @pytest.mark.parametrize(
        ("body", "content_type", "says"),
        [
            (b'{"text": "ok"}\n{"txt": "typo"}\n', "application/jsonl", "Line 2"),
            (b"not json\n", "application/jsonl", "Line 1"),
            (b"name,body\nx,y\n", "text/csv", "'text' column"),
            (b"text\n\xff\xfe\n", "text/csv", "UTF-8"),
            (b'{"text": "a"}\n', "application/json", "application/jsonl or text/csv"),
            (b'{"name": "a", "text": "1"}\n{"name": "a", "text": "2"}\n', "application/jsonl", "unique"),
        ],
    )
    def test_bad_imports_write_nothing(
        self, tenant: Tenant, body: bytes, content_type: str, says: str
    ) -> None:
        texts = tenant.ok("POST", "/datasets", json={"name": "t", "kind": "text"})["id"]
        response = tenant.call(
            "POST", f"/datasets/{texts}/texts", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"]
        assert items(tenant, texts) == []

    def test_an_image_dataset_takes_no_text_import(self, tenant: Tenant, dataset: str) -> None:
        response = tenant.call(
            "POST",
            f"/datasets/{dataset}/texts",
            content=b'{"text": "x"}\n',
            headers={"Content-Type": "application/jsonl"},
        )
        assert response.status_code == 400
        assert items(tenant, dataset) == []


class TestContentAccess:
    def test_an_item_without_content_is_404(self, tenant: Tenant, dataset: str) -> None:
        tenant.ok(
            "POST",
            f"/datasets/{dataset}/items",
            json={"items": [{"name": "meta", "media_type": "image/png"}]},
        )
        (item,) = items(tenant, dataset)
        assert item["size"] is None
        assert tenant.call("GET", f"/items/{item['id']}/content").status_code == 404

    def test_another_tenant_gets_404(self, api: httpx.Client, tenant: Tenant, dataset: str) -> None:
        item = tenant.ok("POST", f"/datasets/{dataset}/files", content=png(100), headers=named("x.png"))
        other = Tenant.create(api)
        assert other.call("GET", f"/items/{item['id']}/content").status_code == 404
