"""Hostile input through every door that takes content: bodies over the limits, malformed and
mislabelled uploads, compressed bombs, hostile file names, malformed Label Studio exports, XML
attacks in labeling configs and URLs that would make the installation connect somewhere it should
not (customer buckets, identity providers).

Each is refused with a 4xx ``application/problem+json`` (or, for a Label Studio import, which is a
background job, a failed job that names the problem), never a 5xx, and stores nothing: the
organization's rows (read as the api's role under row-level security, as the other tests do) and
its bucket's objects are the same afterwards. The api takes no Vault address from a request at all
(the KMS endpoint is installation settings only), so there is no Vault URL to try here.
"""

from __future__ import annotations

import io
import json
import socket
import urllib.parse
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from minio import Minio

from enclave.api.csp_reports import COUNTER as CSP_COUNTER
from enclave.api.csp_reports import REPORTS
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings
from enclave.storage.objects import bucket_name
from enclave.web.address_limits import PREFIX as ADDRESS_PREFIX
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.jobs.jobs import FINISHED, label_studio_project, wait_for
from tests.integration.stack import Stack
from tests.security.conftest import PNG_HEAD
from tests.support import evidence
from tests.support import label_studio_exports as ls
from tests.support.api_keys import redis_client
from tests.support.stack_fixtures import CUSTOMER_CREDENTIALS, UPLOAD_LIMIT
from tests.support.worker_process import running_worker

#: The api's default limit on the text import body (``ENCLAVE_API_MAX_TEXT_IMPORT_BYTES``).
TEXT_IMPORT_LIMIT = 64 * 1024**2
#: Litestar's default limit on any other request body (routes that stream set their own).
JSON_BODY_LIMIT = 10 * 1024**2
#: What the organization's rows are counted in: everything a refused request could have written.
TABLES = (
    "datasets",
    "data_items",
    "ontologies",
    "ontology_versions",
    "projects",
    "project_datasets",
    "tasks",
    "annotation_versions",
)


# --- what was stored ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    rows: dict[str, int]
    objects: tuple[str, ...]


def stored(tenant: Tenant, minio: Minio) -> Stored:
    rows = {table: sql_as_tenant(tenant.org_id, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}  # noqa: S608 - table names are the constants above
    bucket = bucket_name(tenant.org_id)
    names = (
        tuple(sorted(str(o.object_name) for o in minio.list_objects(bucket, recursive=True)))
        if minio.bucket_exists(bucket)
        else ()
    )
    return Stored(rows, names)


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """A clear refusal: one of ``statuses`` (any 4xx if none), as problem+json with a detail."""
    assert response.status_code < 500, (response.status_code, response.text)
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.text)
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem.get("detail") or problem.get("title"), problem
    return problem


@pytest.fixture(autouse=True)
def _counted() -> Iterator[None]:
    """Each case of this module that ran counts in the security evidence's summary."""
    yield
    evidence.add("hostile input cases")


@pytest.fixture(scope="module")
def worker(migrated: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with running_worker(migrated, tmp_path_factory.mktemp("worker") / "worker.log"):
        yield


@pytest.fixture
def images(tenant: Tenant) -> str:
    return str(tenant.ok("POST", "/datasets", json={"name": "images", "kind": "image"})["id"])


@pytest.fixture
def texts(tenant: Tenant) -> str:
    return str(tenant.ok("POST", "/datasets", json={"name": "texts", "kind": "text"})["id"])


@pytest.fixture
def ls_project(tenant: Tenant) -> str:
    """A project ready for a Label Studio import (the text NER fixture: no images needed)."""
    project_id, _ = label_studio_project(tenant, ls.FIXTURES / "text_ner_1")
    return project_id


def named(name: str, content_type: str = "image/png") -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"'}


# --- bodies over the limits ------------------------------------------------------------------------------


def announce(
    api_url: str, stack: Stack, path: str, headers: dict[str, str], length: int, first: bytes
) -> bytes:
    """Announces a ``length``-byte body and sends only ``first``: the status line the api answers
    with (an HTTP client never announces more than it sends; an attacker's raw socket does)."""
    url = urllib.parse.urlsplit(api_url)
    head = "\r\n".join(
        [
            f"POST /api/v1{path} HTTP/1.1",
            f"Host: {url.netloc}",
            *(f"{k}: {v}" for k, v in headers.items()),
            f"Content-Length: {length}",
            "",
            "",
        ]
    )
    with (
        socket.create_connection((url.hostname, url.port), timeout=30) as raw,
        stack.tls.wrap_socket(raw, server_hostname=url.hostname) as conn,
    ):
        conn.sendall(head.encode() + first)
        return conn.recv(4096).split(b"\r\n", 1)[0]


class TestOversizedBodies:
    @pytest.mark.parametrize("door", ["upload", "texts", "label studio import", "json route"])
    def test_an_announced_body_over_the_limit_is_413_and_stores_nothing(
        self,
        api_url: str,
        stack: Stack,
        tenant: Tenant,
        images: str,
        texts: str,
        ls_project: str,
        raw_store: Minio,
        door: str,
    ) -> None:
        path, headers, limit, first = {
            "upload": (f"/datasets/{images}/files", named("big.png"), UPLOAD_LIMIT, PNG_HEAD),
            "texts": (
                f"/datasets/{texts}/texts",
                {"Content-Type": "application/jsonl"},
                TEXT_IMPORT_LIMIT,
                b'{"text": "a"}\n',
            ),
            "label studio import": (
                f"/projects/{ls_project}/imports",
                {"Content-Type": "application/json"},
                UPLOAD_LIMIT,
                b"[",
            ),
            "json route": ("/datasets", {"Content-Type": "application/json"}, JSON_BODY_LIMIT, b"{"),
        }[door]
        before = stored(tenant, raw_store)
        status = announce(api_url, stack, path, tenant.headers() | headers, limit + 1, first)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert stored(tenant, raw_store) == before
        assert sql_as_tenant(tenant.org_id, "SELECT count(*) FROM jobs") == [(0,)]

    def test_a_streamed_text_import_over_the_limit_is_413(
        self, tenant: Tenant, texts: str, raw_store: Minio
    ) -> None:
        line = b'{"text": "' + b"x" * (1024 * 1024 - 20) + b'"}\n'

        def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
            for _ in range(TEXT_IMPORT_LIMIT // len(line) + 2):
                yield line

        before = stored(tenant, raw_store)
        response = tenant.call(
            "POST",
            f"/datasets/{texts}/texts",
            content=chunks(),
            headers={"Content-Type": "application/jsonl"},
        )
        assert_problem(response, 413)
        assert stored(tenant, raw_store) == before

    def test_a_streamed_label_studio_import_over_the_limit_is_413(
        self, tenant: Tenant, ls_project: str, raw_store: Minio
    ) -> None:
        def chunks() -> Iterator[bytes]:
            yield b"["
            for _ in range(UPLOAD_LIMIT // (1024 * 1024) + 1):
                yield b" " * (1024 * 1024)

        before = stored(tenant, raw_store)
        response = tenant.call(
            "POST",
            f"/projects/{ls_project}/imports",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert_problem(response, 413)
        assert stored(tenant, raw_store) == before
        assert sql_as_tenant(tenant.org_id, "SELECT count(*) FROM jobs") == [(0,)]


# --- malformed uploads and compressed bombs -----------------------------------------------------------------


def multipart(boundary: str, *, closed: bool = True) -> bytes:
    part = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + PNG_HEAD
    return part + (f"\r\n--{boundary}--\r\n".encode() if closed else b"")


def zip_bomb() -> bytes:
    """A zip whose one entry inflates from a quarter of a megabyte to 256 MiB of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("bomb.png", "w", force_zip64=True) as entry,
    ):
        block = bytes(1024 * 1024)
        for _ in range(256):
            entry.write(block)
    return buffer.getvalue()


def gzip_bomb(first: bytes, size: int = 256 * 1024**2) -> bytes:
    """``first`` followed by zeros, ``size`` bytes in all, gzip-compressed to about a thousandth."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    out = [compressor.compress(first)]
    block = bytes(1024 * 1024)
    for _ in range(size // len(block)):
        out.append(compressor.compress(block))
    out.append(compressor.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {
        "zip": zip_bomb(),
        "png.gz": gzip_bomb(PNG_HEAD),
        "jsonl.gz": gzip_bomb(b'{"text": "'),
        "json.gz": gzip_bomb(b"["),
    }


class TestMalformedUploads:
    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("multipart/form-data; boundary=xyz", multipart("xyz")),
            ("multipart/form-data; boundary=xyz", multipart("xyz", closed=False)),
            ("multipart/form-data", multipart("missing-boundary")),
            ("multipart/form-data; boundary=" + "b" * 5000, multipart("b" * 5000)),
            ("image/png; charset=\x7f", PNG_HEAD),
            ("", PNG_HEAD),
        ],
        ids=["multipart", "unclosed multipart", "no boundary", "huge boundary", "bad parameter", "no type"],
    )
    def test_a_mislabelled_or_malformed_upload_is_refused(
        self, tenant: Tenant, images: str, raw_store: Minio, content_type: str, body: bytes
    ) -> None:
        headers = {"Content-Disposition": 'attachment; filename="a.png"'}
        if content_type:
            headers["Content-Type"] = content_type
        before = stored(tenant, raw_store)
        response = tenant.call("POST", f"/datasets/{images}/files", content=body, headers=headers)
        if content_type == "":
            # No type at all: the bytes decide (a PNG head is a PNG); anything else is refused.
            assert response.status_code in (201, 400, 415), response.text
            return
        if "\x7f" in content_type:
            # A control byte in a header: the HTTP server refuses the request before the app sees it.
            assert response.status_code == 400, response.text
            assert stored(tenant, raw_store) == before
            return
        assert_problem(response, 400, 415)
        assert stored(tenant, raw_store) == before

    @pytest.mark.parametrize(
        "disposition",
        [
            "attachment",
            'attachment; filename=""',
            "attachment; filename*=UTF-8''%FF%FE",
            "attachment; filename*=nonsense",
            'attachment; filename="a.png"; filename="b.png"' + "; x=y" * 300,
            "form-data; name=file; filename=" + "\\" * 400,
        ],
    )
    def test_a_malformed_content_disposition_is_refused(
        self, tenant: Tenant, images: str, raw_store: Minio, disposition: str
    ) -> None:
        before = stored(tenant, raw_store)
        headers = {"Content-Type": "image/png", "Content-Disposition": disposition}
        response = tenant.call("POST", f"/datasets/{images}/files", content=PNG_HEAD, headers=headers)
        if response.status_code == 201:
            # Some of these still carry a usable name; then it is stored under its item id only.
            item = response.json()
            assert item["id"] in stored(tenant, raw_store).objects
            return
        assert_problem(response, 400)
        assert stored(tenant, raw_store) == before

    def test_a_zip_bomb_upload_is_refused_unopened(
        self, tenant: Tenant, images: str, raw_store: Minio, bombs: dict[str, bytes]
    ) -> None:
        before = stored(tenant, raw_store)
        for content_type in ("application/zip", "image/png"):
            response = tenant.call(
                "POST",
                f"/datasets/{images}/files",
                content=bombs["zip"],
                headers=named("b.zip", content_type),
            )
            assert_problem(response, 415)
        assert stored(tenant, raw_store) == before

    @pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "x-unknown"])
    def test_a_compressed_upload_is_never_inflated(
        self,
        tenant: Tenant,
        images: str,
        texts: str,
        raw_store: Minio,
        bombs: dict[str, bytes],
        encoding: str,
    ) -> None:
        """No door decodes Content-Encoding: a gzip bomb is taken as the bytes it is (not a PNG, not
        UTF-8 text) and refused, having cost the api its few compressed megabytes only."""
        before = stored(tenant, raw_store)
        upload = tenant.call(
            "POST",
            f"/datasets/{images}/files",
            content=bombs["png.gz"],
            headers=named("b.png") | {"Content-Encoding": encoding},
        )
        assert_problem(upload, 400, 415)
        text = tenant.call(
            "POST",
            f"/datasets/{texts}/texts",
            content=bombs["jsonl.gz"],
            headers={"Content-Type": "application/jsonl", "Content-Encoding": encoding},
        )
        assert_problem(text, 400, 415)
        assert stored(tenant, raw_store) == before

    def test_a_compressed_label_studio_import_is_never_inflated(
        self, tenant: Tenant, ls_project: str, raw_store: Minio, bombs: dict[str, bytes], worker: None
    ) -> None:
        before = stored(tenant, raw_store)
        response = tenant.call(
            "POST",
            f"/projects/{ls_project}/imports",
            content=bombs["json.gz"],
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        if response.status_code != 202:
            assert_problem(response, 400, 415)
        else:
            job = wait_for(tenant, ls_project, response.json()["id"])
            assert job["state"] == "failed", job
            assert "JSON" in job["error"], job
        assert stored(tenant, raw_store).rows == before.rows
        assert not [
            o for o in stored(tenant, raw_store).objects if o not in before.objects and "/input" not in o
        ]


# --- hostile file names ------------------------------------------------------------------------------------


HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "C:\\boot.ini",
    "..",
    "a/../../b.png",
    "%2e%2e%2fetc%2fpasswd",
]


class TestFileNames:
    @pytest.mark.parametrize("name", HOSTILE_NAMES)
    def test_a_path_in_a_name_never_reaches_storage(
        self, tenant: Tenant, images: str, raw_store: Minio, name: str
    ) -> None:
        """A name is a label the customer gave, kept sealed; storage keys are item ids, so a path in
        a name can neither choose nor escape where the bytes go. Refusing it is as good."""
        before = stored(tenant, raw_store)
        disposition = "attachment; filename*=UTF-8''" + urllib.parse.quote(name, safe="")
        response = tenant.call(
            "POST",
            f"/datasets/{images}/files",
            content=PNG_HEAD,
            headers={"Content-Type": "image/png", "Content-Disposition": disposition},
        )
        after = stored(tenant, raw_store)
        if response.status_code != 201:
            assert_problem(response, 400)
            assert after == before
            return
        item = response.json()
        assert item["name"] == name
        new = set(after.objects) - set(before.objects)
        assert new == {item["id"]}, new  # the key is the id, nothing of the name
        assert not any(part in key for key in after.objects for part in ("..", "etc", "passwd", "\\"))

    @pytest.mark.parametrize(
        "name",
        ["a\x00b.png", "a\nb.png", "a\rContent-Type: text/html.png", "\x1b[31m.png", "x" * 501 + ".png"],
        ids=["NUL", "newline", "header injection", "escape", "very long"],
    )
    def test_a_control_character_or_an_overlong_name_is_400(
        self, tenant: Tenant, images: str, raw_store: Minio, name: str
    ) -> None:
        before = stored(tenant, raw_store)
        disposition = "attachment; filename*=UTF-8''" + urllib.parse.quote(name, safe="")
        response = tenant.call(
            "POST",
            f"/datasets/{images}/files",
            content=PNG_HEAD,
            headers={"Content-Type": "image/png", "Content-Disposition": disposition},
        )
        assert_problem(response, 400)
        assert stored(tenant, raw_store) == before

    @pytest.mark.parametrize("name", ["a\x00b", "x" * 10_000, "../" * 200])
    def test_hostile_names_in_item_and_text_imports_store_nothing(
        self, tenant: Tenant, images: str, texts: str, raw_store: Minio, name: str
    ) -> None:
        before = stored(tenant, raw_store)
        metadata = tenant.call(
            "POST",
            f"/datasets/{images}/items",
            json={"items": [{"name": name, "media_type": "image/png"}]},
        )
        line = json.dumps({"name": name, "text": "a"}).encode() + b"\n"
        text = tenant.call(
            "POST", f"/datasets/{texts}/texts", content=line, headers={"Content-Type": "application/jsonl"}
        )
        for response in (metadata, text):
            if response.status_code == 201 and "../" in name:
                continue  # a path-like label is a label: nothing is stored under it
            assert_problem(response, 400)
        if "../" not in name:
            assert stored(tenant, raw_store) == before


# --- malformed Label Studio exports ------------------------------------------------------------------------

MALFORMED_EXPORTS = {
    "truncated": b'[{"id": 1, "data": {"text": "a"',
    "not a list": b'{"id": 1}',
    "a list of numbers": b"[1, 2, 3]",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "a huge number": b'[{"id": 1' + b"0" * 5000 + b', "data": {"text": "a"}}]',
    "invalid UTF-8": b'[{"id": 1, "data": {"text": "\xff\xfe"}}]',
    "NUL in a field": b'[{"id": 1, "data": {"text": "a\\u0000b"}, '
    b'"annotations": [{"result": [{"from_name": "\\u0000"}]}]}]',
    "result of the wrong type": b'[{"id": 1, "data": {"text": "a"}, "annotations": [{"result": "x"}]}]',
    "span past the text": b'[{"id": 1, "data": {"text": "ab"}, '
    b'"annotations": [{"result": [{"from_name": "label", '
    b'"to_name": "text", "type": "labels", "value": {"start": 0, "end": 9999999, "labels": ["PER"]}}]}]}]',
    "duplicate ids": b'[{"id": 1, "data": {"text": "a"}}, {"id": 1, "data": {"text": "b"}}]',
    "BOM and garbage": b"\xef\xbb\xbf\x00\x01\x02",
    "empty": b"",
}


class TestMalformedLabelStudio:
    @pytest.mark.parametrize("name", list(MALFORMED_EXPORTS))
    def test_a_malformed_export_fails_its_job_and_writes_nothing(
        self, tenant: Tenant, ls_project: str, raw_store: Minio, worker: None, name: str
    ) -> None:
        before = stored(tenant, raw_store)
        response = tenant.call(
            "POST",
            f"/projects/{ls_project}/imports",
            content=MALFORMED_EXPORTS[name],
            headers={"Content-Type": "application/json"},
        )
        if response.status_code != 202:
            assert_problem(response, 400, 413, 415)
            assert stored(tenant, raw_store) == before
            return
        job = wait_for(tenant, ls_project, response.json()["id"])
        assert job["state"] in FINISHED
        after = stored(tenant, raw_store)
        if job["state"] == "succeeded":
            # Only an export that is valid after all may succeed (duplicate ids, say, are two tasks).
            assert name in {"duplicate ids"}, job
            return
        assert job["state"] == "failed", job
        assert job["error"], job
        assert after.rows == before.rows, name


# --- XML attacks in labeling configs -------------------------------------------------------------------

XML_ATTACKS = {
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
            for i in range(1, 10)
        )
        + ']><View><Text name="t" value="$t"/>'
        + '<Labels name="l" toName="t"><Label value="&lol9;"/></Labels></View>'
    ),
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="&x;"/></Labels></View>'
    ),
    "external entity over the network": (
        '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "https://169.254.169.254/latest/meta-data/">]>'
        '<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="&x;"/></Labels></View>'
    ),
    "parameter entity": (
        '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
        '<View><Text name="t" value="$t"/></View>'
    ),
    "external DTD": (
        '<?xml version="1.0"?><!DOCTYPE View SYSTEM "https://127.0.0.1:8200/v1/sys/health">'
        '<View><Text name="t" value="$t"/></View>'
    ),
    "internal DTD only": (
        '<?xml version="1.0"?><!DOCTYPE View [<!ELEMENT View ANY>]><View><Text name="t" value="$t"/></View>'
    ),
    "XInclude": (
        '<View xmlns:xi="http://www.w3.org/2001/XInclude"><Text name="t" value="$t"/>'
        '<xi:include href="file:///etc/passwd" parse="text"/></View>'
    ),
    "deep nesting": "<View>" * 50_000 + "</View>" * 50_000,
    "not XML": "<View><Text name='t' value='$t'>",
}
# Not here: a processing instruction (<?xml-stylesheet href=...?>) is ignored by the parser, never
# fetched, so a config holding one is read like any other.


class TestLabelingConfigXml:
    @pytest.mark.parametrize("name", list(XML_ATTACKS))
    def test_an_xml_attack_is_400_and_creates_no_ontology(
        self, tenant: Tenant, raw_store: Minio, name: str
    ) -> None:
        before = stored(tenant, raw_store)
        response = tenant.call(
            "POST",
            "/ontologies/label-studio",
            json={"name": f"x-{uuid.uuid4().hex[:6]}", "label_config": XML_ATTACKS[name]},
        )
        problem = assert_problem(response, 400, 413)
        assert "root:" not in json.dumps(problem)  # nothing of /etc/passwd came back
        assert stored(tenant, raw_store) == before


# --- URLs that would make the installation connect elsewhere (SSRF) ---------------------------------


def ssrf_endpoints(allowed: str) -> list[str]:
    """Endpoints that look like, contain, or sit next to the allowed one, and classic SSRF targets."""
    url = urllib.parse.urlsplit(allowed)
    host, port = url.hostname or "", url.port or 443
    return [
        "https://169.254.169.254",  # a cloud metadata service
        "https://[fd00:ec2::254]",
        "https://127.0.0.1:8200",  # a Vault's usual port on loopback
        f"https://{host}:{port + 1}",  # the allowed host, another port
        f"https://{host}.attacker.example:{port}",
        f"https://{host}:{port}@attacker.example",
        f"https://attacker.example#@{host}:{port}",
        f"https://{host}:{port}/../../",
        f"https://{host}:{port}/?x=1",
        f"https://{host}:{port}\\@attacker.example",
        f"https://0x7f000001:{port}",
        f"https://{host.upper()}:{port}/%2e%2e",
        "https://localhost:" + "9" * 6,
    ]


@pytest.fixture(scope="module")
def allowed_endpoint(stack: Stack) -> str:
    return stack.env["ENCLAVE_S3_ENDPOINT"]


class TestServerSideRequests:
    def test_a_bucket_import_from_anywhere_but_an_allowed_endpoint_is_refused(
        self, tenant: Tenant, images: str, raw_store: Minio, allowed_endpoint: str
    ) -> None:
        before = stored(tenant, raw_store)
        accepted = []
        for endpoint in ssrf_endpoints(allowed_endpoint):
            source = {"endpoint": endpoint, "bucket": "anything", "credentials": CUSTOMER_CREDENTIALS}
            response = tenant.call("POST", f"/datasets/{images}/imports", json={"source": source})
            if response.status_code < 400:
                accepted.append(endpoint)
                continue
            assert_problem(response, 400, 403, 422)
        assert accepted == []
        assert stored(tenant, raw_store) == before

    @pytest.mark.parametrize(
        "source",
        [
            {"bucket": "../other-tenant", "prefix": ""},
            {"bucket": "org-" + "0" * 32, "prefix": ""},  # another organization's bucket name pattern
            {"bucket": "anything", "prefix": "/etc/"},
            {"bucket": "anything", "prefix": "a\x00b"},
            {"bucket": "anything", "credentials": "../../etc"},
            {"bucket": "anything", "credentials": "not-installed"},
        ],
    )
    def test_a_bucket_location_that_reaches_past_its_place_is_refused(
        self, tenant: Tenant, images: str, raw_store: Minio, allowed_endpoint: str, source: dict[str, str]
    ) -> None:
        before = stored(tenant, raw_store)
        body = {"endpoint": allowed_endpoint, "credentials": CUSTOMER_CREDENTIALS} | source
        response = tenant.call("POST", f"/datasets/{images}/imports", json={"source": body})
        if response.status_code < 400:
            # A well-formed location that names nothing the credentials can read imports nothing.
            assert response.json()["created"] == 0, response.text
        else:
            assert_problem(response, 400, 403, 404, 422)
        assert stored(tenant, raw_store) == before

    def test_a_dataset_kept_anywhere_but_an_allowed_endpoint_is_refused(
        self, tenant: Tenant, raw_store: Minio, allowed_endpoint: str
    ) -> None:
        before = stored(tenant, raw_store)
        accepted = []
        for endpoint in ssrf_endpoints(allowed_endpoint):
            storage = {"endpoint": endpoint, "bucket": "anything", "credentials": CUSTOMER_CREDENTIALS}
            response = tenant.call(
                "POST",
                "/datasets",
                json={"name": f"s-{uuid.uuid4().hex[:6]}", "kind": "image", "storage": storage},
            )
            if response.status_code < 400:
                accepted.append(endpoint)
                continue
            assert_problem(response, 400, 403, 422)
        assert accepted == []
        assert stored(tenant, raw_store) == before


@pytest.fixture
def realm(tenant: Tenant, api_url: str) -> Iterator[RealmService]:
    """The tenant's Keycloak realm: identity providers are configured there."""
    realms = RealmService(admin_from_settings(KeycloakSettings(), TLSSettings()))
    realms.ensure_realm(realm_spec_for(tenant.slug, "Hostile", api_url))
    try:
        yield realms
    finally:
        realms.delete_realm(tenant.slug)


def oidc(**urls: str) -> dict[str, Any]:
    base = "https://sso.company.example/realms/staff/protocol/openid-connect"
    config = {
        "issuer": "https://sso.company.example/realms/staff",
        "authorizationUrl": f"{base}/auth",
        "tokenUrl": f"{base}/token",
        "jwksUrl": f"{base}/certs",
        "clientId": "enclave",
        "clientSecret": "made-up",
    } | urls
    return {"kind": "oidc", "display_name": "Company SSO", "config": config}


#: Addresses no identity provider can have: the IdP's URLs are fetched by Keycloak, inside the
#: installation, so these would point it at itself, its neighbours' loopback or a metadata service.
IDP_TARGETS = [
    "http://sso.company.example/token",  # not TLS
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "https://127.0.0.1:8200/v1/sys/health",
    "https://localhost/token",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/token",
    "https://0.0.0.0/token",
    "https://[::ffff:127.0.0.1]/token",
]


class TestIdentityProviderUrls:
    @pytest.mark.parametrize("target", IDP_TARGETS)
    @pytest.mark.parametrize("key", ["tokenUrl", "jwksUrl"])
    def test_an_idp_url_that_points_inside_is_refused(
        self, tenant: Tenant, realm: RealmService, key: str, target: str
    ) -> None:
        alias = f"idp-{uuid.uuid4().hex[:8]}"
        response = tenant.call("PUT", f"/organization/identity-providers/{alias}", json=oidc(**{key: target}))
        assert_problem(response, 400, 422)
        listed = tenant.ok("GET", "/organization/identity-providers")
        names = [p.get("alias") for p in (listed["items"] if isinstance(listed, dict) else listed)]
        assert alias not in names

    def test_a_saml_metadata_url_pointing_inside_is_refused(
        self, tenant: Tenant, realm: RealmService
    ) -> None:
        body = {
            "kind": "saml",
            "display_name": "Company SAML",
            "config": {
                "idpEntityId": "https://127.0.0.1/metadata",
                "singleSignOnServiceUrl": "https://169.254.169.254/sso",
                "signingCertificate": "MIIB",
            },
        }
        response = tenant.call(
            "PUT", f"/organization/identity-providers/saml-{uuid.uuid4().hex[:6]}", json=body
        )
        assert_problem(response, 400, 422)


class TestCspReports:
    """``POST /csp-reports`` takes requests from anyone (browsers send no credentials): a flood from
    one address is cut off before it is read, counted or logged."""

    def test_a_flood_of_reports_from_one_address_is_refused_past_the_limit(
        self, api: httpx.Client, stack: Stack
    ) -> None:
        limit_key = f"{ADDRESS_PREFIX}{REPORTS.name}:127.0.0.1"
        report = {
            "csp-report": {"effective-directive": "script-src-elem", "blocked-uri": "https://x.example"}
        }
        with redis_client(stack) as client:
            client.delete(limit_key)
            before = int(client.get(CSP_COUNTER) or 0)
            try:
                responses = [api.post("/csp-reports", json=report) for _ in range(REPORTS.most + 5)]
                counted = int(client.get(CSP_COUNTER) or 0) - before
            finally:
                # Neither the window nor these reports may stay: the browser tests hold the count at 0.
                client.delete(limit_key)
                client.decrby(CSP_COUNTER, int(client.get(CSP_COUNTER) or 0) - before)
        answers = [response.status_code for response in responses]
        assert answers[: REPORTS.most] == [204] * REPORTS.most
        assert answers[REPORTS.most :] == [429] * 5
        assert responses[-1].headers["content-type"].startswith("application/problem+json")
        assert counted == REPORTS.most
