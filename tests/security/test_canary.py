"""Canaries: customer content put in through the api is nowhere at rest in the clear.

One organization gets content of every kind the api seals, each piece carrying its own random marker: an
uploaded PNG (a marker and a random blob after its header) named by a marker, metadata items with marked
names and attributes, JSONL and CSV text imports with marked texts, names and attributes, annotation
versions with distinctive coordinates, review comments (a rejection and an approval), a draft, and the
reason a Label Studio import failed (it quotes the marked file it could not find). The api reads it all
back, proving the content is really there. Then a superuser ``pg_dump`` of the whole database and every
file under MinIO's data directory are searched for each marker — as UTF-8 and as hex, the way a dump shows
``bytea`` — and none may be found. Each search first proves it looked at the organization's rows and
objects, so it cannot pass by finding nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from minio import Minio

from enclave.crypto.segmented import MAGIC
from enclave.storage.objects import bucket_name
from tests.integration.domain.world import ONTOLOGY, Tenant
from tests.integration.jobs.jobs import import_export, label_studio_project
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support import label_studio_exports as ls
from tests.support.needles import found_in
from tests.support.worker_process import running_worker

if TYPE_CHECKING:
    from tests.security.conftest import Superuser, UploadPng


#: Tables whose rows the dump must show (so the markers' search looked at sealed content).
DUMPED_TABLES = ("data_items", "annotation_versions", "reviews")


def _marker(where: str) -> str:
    """A random string that exists nowhere but where this test put it."""
    return f"canary{where.replace('_', '')}{uuid.uuid4().hex}"


def _coordinate() -> float:
    """A coordinate whose JSON text (17 significant digits) is as unlikely anywhere else as a marker."""
    return random.uniform(100_000, 999_999)  # noqa: S311 — distinctive, not secret


@dataclass
class Canary:
    """What one organization put in, and where to look for it."""

    tenant: Tenant
    #: Where each marker went (for failure messages) → the marker's text.
    markers: dict[str, str] = field(default_factory=dict)
    #: Raw bytes that must not be stored in the clear (the image's random blob) → their label.
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: Ids of every item this organization holds (the dump must show these rows).
    item_ids: list[str] = field(default_factory=list)
    upload_id: str = ""
    upload_bytes: bytes = b""

    def mark(self, where: str) -> str:
        self.markers[where] = _marker(where)
        return self.markers[where]

    def needles(self) -> Iterator[tuple[str, bytes]]:
        """(label, bytes to search for): every marker and blob as UTF-8 and as lowercase hex."""
        for where, text in self.markers.items():
            yield where, text.encode()
            yield f"{where} (hex)", text.encode().hex().encode()
        for where, blob in self.blobs.items():
            yield where, blob
            yield f"{where} (hex)", blob.hex().encode()


def _items(tenant: Tenant, dataset_id: str) -> dict[str, dict[str, object]]:
    """A dataset's items by name, through the api."""
    return {item["name"]: item for item in tenant.ok("GET", f"/datasets/{dataset_id}/items")["items"]}


def _put_images(canary: Canary, upload_png: UploadPng) -> str:
    tenant = canary.tenant
    dataset = tenant.ok("POST", "/datasets", json={"name": f"images-{uuid.uuid4().hex[:6]}", "kind": "image"})
    blob = os.urandom(64)
    canary.blobs["uploaded image's random blob"] = blob
    payload = canary.mark("image_body").encode() + blob + os.urandom(1000)
    uploaded = upload_png(tenant, dataset["id"], f"{canary.mark('upload_filename')}.png", payload)
    canary.upload_id, canary.upload_bytes = uploaded.id, uploaded.data
    metadata = [
        {
            "name": canary.mark(f"item_name_{i}"),
            "media_type": "image/jpeg",
            "attributes": {
                "note": canary.mark(f"item_attribute_value_{i}"),
                canary.mark(f"item_attribute_key_{i}"): {"nested": [canary.mark(f"item_nested_{i}")]},
            },
        }
        for i in range(2)
    ]
    tenant.ok("POST", f"/datasets/{dataset['id']}/items", json={"items": metadata})

    listed = _items(tenant, dataset["id"])
    assert listed[uploaded.name]["id"] == uploaded.id
    for item in metadata:
        assert listed[str(item["name"])]["attributes"] == item["attributes"]
    content = tenant.call("GET", f"/items/{uploaded.id}/content")
    assert content.status_code == 200, content.text
    assert content.content == uploaded.data
    canary.item_ids += [str(item["id"]) for item in listed.values()]
    return str(dataset["id"])


def _put_texts(canary: Canary) -> None:
    tenant = canary.tenant
    dataset = tenant.ok("POST", "/datasets", json={"name": f"texts-{uuid.uuid4().hex[:6]}", "kind": "text"})
    records = [
        {
            "name": canary.mark(f"jsonl_name_{i}"),
            "text": f"Patient note {i}: {canary.mark(f'jsonl_text_{i}')} — größer als gestern.",
            "attributes": {"source": canary.mark(f"jsonl_attribute_{i}")},
        }
        for i in range(2)
    ]
    body = "\n".join(json.dumps(record, ensure_ascii=False) for record in records).encode()
    created = tenant.ok(
        "POST",
        f"/datasets/{dataset['id']}/texts",
        content=body,
        headers={"Content-Type": "application/jsonl"},
    )
    assert created == {"created": 2}
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", "text", "ward"])
    writer.writerow([canary.mark("csv_name"), f"CSV text {canary.mark('csv_text')}", canary.mark("csv_ward")])
    records.append(
        {
            "name": canary.markers["csv_name"],
            "text": f"CSV text {canary.markers['csv_text']}",
            "attributes": {"ward": canary.markers["csv_ward"]},
        }
    )
    tenant.ok(
        "POST",
        f"/datasets/{dataset['id']}/texts",
        content=rows.getvalue().encode(),
        headers={"Content-Type": "text/csv"},
    )

    listed = _items(tenant, dataset["id"])
    for record in records:
        item = listed[str(record["name"])]
        assert item["attributes"] == record["attributes"]
        content = tenant.call("GET", f"/items/{item['id']}/content")
        assert content.status_code == 200, content.text
        assert content.text == record["text"]
    canary.item_ids += [str(item["id"]) for item in listed.values()]


def _put_annotations_and_reviews(canary: Canary, dataset_id: str) -> None:
    tenant = canary.tenant
    suffix = uuid.uuid4().hex[:6]
    ontology = tenant.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
    project = tenant.ok("POST", "/projects", json={"name": f"p-{suffix}", "ontology_id": ontology["id"]})[
        "id"
    ]
    tenant.ok("POST", f"/projects/{project}/datasets", json={"dataset_id": dataset_id})
    tenant.ok("POST", f"/projects/{project}/tasks", json={})
    annotator, reviewer = tenant.member("member"), tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.join(project, reviewer, "reviewer")

    payloads = []
    for version in (1, 2):
        x = _coordinate()
        canary.markers[f"annotation v{version} coordinate"] = json.dumps(x)
        payloads.append(
            {"objects": [{"kind": "bbox", "label": "car", "x": x, "y": 2.0, "width": 30.0, "height": 40.0}]}
        )
    task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
    tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": payloads[0]})
    tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
    rejection = {"decision": "reject", "comment": f"Redo: {canary.mark('review_reject_comment')}"}
    tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json=rejection)
    assert tenant.ok("GET", f"/tasks/{task}", annotator)["stage"] == "annotate"
    tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": payloads[1]})
    tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
    approval = {"decision": "approve", "comment": f"Fine: {canary.mark('review_approve_comment')}"}
    tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json=approval)

    history = tenant.ok("GET", f"/tasks/{task}/annotations")["items"]
    assert [version["payload"]["objects"][0]["x"] for version in history] == [
        p["objects"][0]["x"] for p in payloads
    ]
    reviews = tenant.ok("GET", f"/tasks/{task}/reviews")["items"]
    assert sorted(r["comment"] for r in reviews) == sorted([rejection["comment"], approval["comment"]])

    # Unsent work, kept on the server as a draft of the next task.
    x = _coordinate()
    canary.markers["draft coordinate"] = json.dumps(x)
    draft = {"objects": [{"kind": "bbox", "label": "car", "x": x, "y": 3.0, "width": 5.0, "height": 6.0}]}
    following = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
    tenant.ok("PUT", f"/tasks/{following}/draft", annotator, json={"payload": draft})
    assert tenant.ok("GET", f"/tasks/{following}/draft", annotator)["payload"]["objects"][0]["x"] == x


def _put_failed_import(canary: Canary, stack: Stack, log: Path) -> None:
    """A Label Studio import naming an image nobody uploaded: the job's reason quotes the name."""
    tenant = canary.tenant
    folder = ls.FIXTURES / "image_bbox_1"
    tasks = json.loads((folder / "JSON.json").read_bytes())
    tasks[0]["data"]["image"] = f"/data/upload/9/{canary.mark('import_failure_file')}.png"
    project_id, _ = label_studio_project(tenant, folder)
    with running_worker(stack, log):
        job = import_export(tenant, project_id, json.dumps(tasks).encode())
    assert job["state"] == "failed", job
    assert canary.markers["import_failure_file"] in job["error"]


@pytest.fixture(scope="module")
def canary(
    api_url: str, stack: Stack, upload_png: UploadPng, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Canary]:
    """One organization holding marked content of every sealed kind, read back through the api."""
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=60) as client:
        canary = Canary(Tenant.create(client))
        images = _put_images(canary, upload_png)
        _put_texts(canary)
        _put_annotations_and_reviews(canary, images)
        _put_failed_import(canary, stack, tmp_path_factory.mktemp("worker") / "worker.log")
        yield canary


def _found(haystack: bytes, canary: Canary) -> list[str]:
    """Labels of the needles present in ``haystack`` (searched case-insensitively for hex)."""
    return sorted(found_in(haystack, canary.needles()))


def _files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` (``os.walk`` skips directories that vanish while it walks)."""
    for directory, _, names in os.walk(root):
        for name in sorted(names):
            yield Path(directory) / name


class TestCanary:
    def test_every_marker_is_distinct_and_there_are_enough(self, canary: Canary) -> None:
        assert len(canary.markers) >= 20
        assert len(set(canary.markers.values())) == len(canary.markers)
        assert len(canary.item_ids) == 3 + 3  # one upload and two metadata items; three texts

    def test_the_database_dump_holds_no_marker(self, canary: Canary, superuser: Superuser) -> None:
        # What the dump must hold (this organization's rows, so the search looked at them), searched
        # in the same pass as the markers.
        held = {
            f"organization {canary.tenant.org_id}": str(canary.tenant.org_id).encode(),
            **{f"item {item_id}": item_id.encode() for item_id in canary.item_ids},
            **{table: f"COPY public.{table} ".encode() for table in DUMPED_TABLES},
        }
        search = superuser.search_dump([*held.items(), *canary.needles()])
        assert search.read > 0
        assert sorted(set(held) - search.found) == []
        found = sorted(search.found - set(held))
        evidence.add("plaintext markers found", len(found))
        assert found == []

    def test_object_storage_files_hold_no_marker(self, canary: Canary, stack: Stack) -> None:
        root = Path(stack.env["ENCLAVE_S3_DATA_DIR"])
        bucket = bucket_name(canary.tenant.org_id)
        leaks: dict[str, list[str]] = {}
        seen = 0
        seen_in_bucket: list[Path] = []
        for path in _files(root):
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # MinIO moved a temporary file away while we walked
                continue
            seen += 1
            relative = path.relative_to(root)
            if relative.parts[0] == bucket:
                seen_in_bucket.append(relative)
            if found := _found(data, canary):
                leaks[str(relative)] = found
        evidence.add("plaintext markers found", sum(len(labels) for labels in leaks.values()))
        assert seen > 0
        # The upload's object is on disk in the organization's bucket directory (key = item id).
        assert any(p.parts[1] == canary.upload_id for p in seen_in_bucket), seen_in_bucket
        assert leaks == {}

    def test_the_stored_object_is_ciphertext(self, canary: Canary, raw_store: Minio) -> None:
        """The same object through S3, as stored: an encrypted object, no marker, no blob, and not the
        upload itself (MinIO could compress or inline what is on disk; what it serves is the object)."""
        response = raw_store.get_object(bucket_name(canary.tenant.org_id), canary.upload_id)
        try:
            stored = response.read()
        finally:
            response.close()
            response.release_conn()
        assert stored.startswith(MAGIC)
        assert len(stored) > len(canary.upload_bytes)
        assert canary.upload_bytes[40:] not in stored
        assert _found(stored, canary) == []
