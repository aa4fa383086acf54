"""Label Studio projects through the real api and a real worker: every fixture project imports
without loss, the platform's COCO, YOLO, VOC and CoNLL exports of it agree with Label Studio's own
files (``tests.support.label_studio_exports``: the rules and the quirks), a round trip through Label
Studio JSON loses nothing, and bad input fails the import naming the task and the field, with nothing
written."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import read_tasks
from enclave.exchange.records import Record
from tests.integration.domain.world import Tenant, audited, sql_as_tenant
from tests.integration.jobs.jobs import export, import_export, label_studio_project
from tests.integration.stack import Stack
from tests.support import label_studio_exports as ls
from tests.support.worker_process import running_worker

pytestmark = pytest.mark.stack

FOLDERS = ls.fixture_folders()
THEIRS = {"coco": "COCO.zip", "yolo": "YOLO.zip", "voc": "VOC.zip", "conll2003": "CONLL2003.txt"}


@pytest.fixture(scope="module")
def worker(migrated: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with running_worker(migrated, tmp_path_factory.mktemp("worker") / "worker.log"):
        yield


@pytest.fixture(scope="module")
def tenant(api_url: str, stack: Stack) -> Iterator[Tenant]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield Tenant.create(client)


@pytest.fixture(scope="module")
def imported(tenant: Tenant, worker: None) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each fixture project, imported into a project that does not review (so its work is finished)."""
    projects = {}
    for folder in FOLDERS:
        project_id, _ = label_studio_project(tenant, folder)
        job = import_export(tenant, project_id, (folder / "JSON.json").read_bytes())
        assert job["state"] == "succeeded", job
        projects[folder.name] = (project_id, job)
    return projects


def records(folder: Path, document: bytes) -> list[Record]:
    config = parse_config((folder / "label_config.xml").read_bytes())
    return list(read_tasks(document, config))


def without_ids(found: list[Record]) -> list[Record]:
    """The records as the platform keeps them: a source's own ids are not the platform's."""
    plain = copy.deepcopy(found)
    for record in plain:
        record.source_id = None
        for submission in record.submissions:
            submission.source_id = None
    return plain


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_import_is_lossless(folder: Path, tenant: Tenant, imported: dict[str, Any]) -> None:
    project_id, job = imported[folder.name]
    original = records(folder, (folder / "JSON.json").read_bytes())
    assert job["result"]["tasks"] == len(original)
    assert job["result"]["annotations"] == sum(len(r.submissions) for r in original)
    assert job["result"]["skipped"] == sum(1 for r in original for s in r.submissions if s.skipped)
    _, document = export(tenant, project_id, "label-studio", include_unfinished=True)
    assert ls.same_records(without_ids(records(folder, document)), without_ids(original))


CASES = [(folder, fmt) for folder in FOLDERS for fmt, name in THEIRS.items() if (folder / name).is_file()]


@pytest.mark.parametrize(("folder", "fmt"), CASES, ids=[f"{f.name}-{fmt}" for f, fmt in CASES])
def test_exports_agree_with_label_studio(
    folder: Path, fmt: str, tenant: Tenant, imported: dict[str, Any]
) -> None:
    project_id, _ = imported[folder.name]
    job, artifact = export(tenant, project_id, fmt)
    assert job["artifact"]["size"] == len(artifact)
    if fmt == "coco":
        shapes = ls.compare_coco(json.loads(artifact), folder)
    elif fmt == "yolo":
        sizes = {
            r.item.name.rsplit(".", 1)[0]: (r.item.width or 0, r.item.height or 0)
            for r in records(folder, (folder / "JSON.json").read_bytes())
        }
        shapes = ls.compare_yolo(ls.zip_tree(artifact), folder, sizes)
    elif fmt == "voc":
        shapes = ls.compare_voc(ls.zip_tree(artifact), folder)
    else:
        shapes = ls.compare_conll(artifact.decode(), folder)
    assert shapes > 0


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_round_trip_through_label_studio_json(folder: Path, tenant: Tenant, imported: dict[str, Any]) -> None:
    project_id, _ = imported[folder.name]
    _, first = export(tenant, project_id, "label-studio", include_unfinished=True)
    again, _ = label_studio_project(tenant, folder)
    job = import_export(tenant, again, first)
    assert job["state"] == "succeeded", job
    _, second = export(tenant, again, "label-studio", include_unfinished=True)
    assert ls.same_records(without_ids(records(folder, second)), without_ids(records(folder, first)))


def test_download_resumes_with_range(tenant: Tenant, imported: dict[str, Any]) -> None:
    project_id, _ = imported["image_bbox_1"]
    job, whole = export(tenant, project_id, "coco")
    url = f"/projects/{project_id}/jobs/{job['id']}/artifact"
    cut = len(whole) // 3
    head = tenant.call("GET", url, headers={"Range": f"bytes=0-{cut - 1}"})
    tail = tenant.call("GET", url, headers={"Range": f"bytes={cut}-"})
    assert (head.status_code, tail.status_code) == (206, 206)
    assert tail.headers["content-range"] == f"bytes {cut}-{len(whole) - 1}/{len(whole)}"
    assert head.content + tail.content == whole


def test_export_is_audited_when_asked_started_finished_and_downloaded(
    tenant: Tenant, imported: dict[str, Any]
) -> None:
    import asyncio

    project_id, _ = imported["text_ner_1"]
    job, _ = export(tenant, project_id, "conll2003")
    target = f"job:{job['id']}"
    for action in (
        "project:export:request",
        "project:export:start",
        "project:export:finish",
        "project:export:download",
    ):
        assert asyncio.run(audited(tenant, action, target)) == 1, action


def test_artifacts_are_ciphertext_in_the_bucket(
    tenant: Tenant, imported: dict[str, Any], stack: Stack
) -> None:
    from enclave.storage.objects import bucket_name
    from tests.support.minio import raw_minio

    project_id, _ = imported["text_ner_1"]
    job, artifact = export(tenant, project_id, "jsonl", include_unfinished=True)
    client = raw_minio(stack)
    bucket = bucket_name(tenant.org_id)
    [stored] = [
        o.object_name for o in client.list_objects(bucket, prefix=f"jobs/{job['id']}/", recursive=True)
    ]
    data = client.get_object(bucket, stored).read()
    assert b"Nairobi" in artifact
    assert b"Nairobi" not in data


class TestRefused:
    def test_bad_input_fails_naming_task_and_field_and_writes_nothing(
        self, tenant: Tenant, worker: None
    ) -> None:
        folder = ls.FIXTURES / "image_bbox_1"
        tasks = json.loads((folder / "JSON.json").read_bytes())
        tasks[3]["annotations"][0]["result"][1]["from_name"] = "colour"
        project_id, _ = label_studio_project(tenant, folder)
        job = import_export(tenant, project_id, json.dumps(tasks).encode())
        assert job["state"] == "failed"
        assert "task 2004, annotations[0].result[1].from_name" in job["error"]
        count = sql_as_tenant(
            tenant.org_id, "SELECT count(*) FROM tasks WHERE project_id = :p", p=uuid.UUID(project_id)
        )
        assert count == [(0,)]

    def test_images_not_uploaded_are_named(self, tenant: Tenant, worker: None) -> None:
        folder = ls.FIXTURES / "image_polygon_1"
        tasks = json.loads((folder / "JSON.json").read_bytes())
        tasks[0]["data"]["image"] = "/data/upload/9/0a1b2c3d-never-uploaded.png"
        project_id, _ = label_studio_project(tenant, folder)
        job = import_export(tenant, project_id, json.dumps(tasks).encode())
        assert job["state"] == "failed"
        assert "1 images are not uploaded" in job["error"]
        assert "0a1b2c3d-never-uploaded.png" in job["error"]
        # The reason quotes the customer's file name: it is stored sealed, as the name itself is.
        [(failure, detail)] = sql_as_tenant(
            tenant.org_id, "SELECT failure, failure_detail FROM jobs WHERE id = :j", j=uuid.UUID(job["id"])
        )
        assert failure == "invalid"
        assert b"never-uploaded" not in bytes(detail)
        assert len(detail) > len("0a1b2c3d-never-uploaded.png")

    def test_malformed_json(self, tenant: Tenant, worker: None) -> None:
        project_id, _ = label_studio_project(tenant, ls.FIXTURES / "text_ner_1")
        job = import_export(tenant, project_id, b'[{"id": 1, "data": ')
        assert job["state"] == "failed"
        assert "not valid JSON" in job["error"]

    def test_unsupported_config_tags_are_named(self, tenant: Tenant) -> None:
        config = (
            '<View><Image name="i" value="$i"/>'
            '<KeyPointLabels name="k" toName="i"><Label value="x"/></KeyPointLabels></View>'
        )
        response = tenant.call(
            "POST", "/ontologies/label-studio", json={"name": "kp", "label_config": config}
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "KeyPointLabels" in response.json()["detail"]

    def test_xml_attack_in_the_config(self, tenant: Tenant) -> None:
        config = (
            '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            '<View><Image name="i" value="$i"/>'
            '<RectangleLabels name="r" toName="i"><Label value="&x;"/></RectangleLabels></View>'
        )
        response = tenant.call(
            "POST", "/ontologies/label-studio", json={"name": "xxe", "label_config": config}
        )
        assert response.status_code == 400
        assert "forbidden construct" in response.json()["detail"]

    def test_an_export_in_a_format_the_labels_do_not_fit(
        self, tenant: Tenant, imported: dict[str, Any]
    ) -> None:
        project_id, _ = imported["text_ner_1"]
        response = tenant.call("POST", f"/projects/{project_id}/exports", json={"format": "yolo"})
        assert response.status_code == 400
        assert "this project labels texts" in response.json()["detail"]


def test_enclave_import_sends_an_export_and_follows_its_job(
    tenant: Tenant, worker: None, api_url: str, stack: Stack, tmp_path: Path
) -> None:
    import shutil
    import subprocess  # nosec B404 — the installed console command, no shell
    import sys

    folder = ls.FIXTURES / "text_ner_1"
    project_id, _ = label_studio_project(tenant, folder)
    created = tenant.ok("POST", "/api-keys", json={"name": "cli", "scopes": ["tasks:write", "data:read"]})
    key_file = tmp_path / "key"
    key_file.write_text(created["secret"])
    command = shutil.which("enclave", path=str(Path(sys.executable).parent))
    assert command is not None
    argv = [
        *(command, "import", "--from", "label-studio", "--api", api_url, "--project", project_id),
        *("--input", str(folder / "JSON.json"), "--api-key-file", str(key_file), "--ca-file", stack.ca_file),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "'tasks': 10" in done.stdout
    assert created["secret"] not in done.stdout + done.stderr
    tasks = tenant.ok("GET", f"/projects/{project_id}/tasks")
    assert len(tasks["items"]) == 10
    # A bad key: refused, said so, exit 2.
    key_file.write_text("not-a-key")
    refused = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert refused.returncode == 2
    assert "the api refused the import (401)" in refused.stderr


class TestExportFilters:
    """What an export holds: finished work unless asked, and the stages, labels and times asked for."""

    def test_only_finished_work_by_default(self, tenant: Tenant, worker: None) -> None:
        folder = ls.FIXTURES / "image_bbox_1"
        project_id, _ = label_studio_project(tenant, folder, review_required=True)
        assert import_export(tenant, project_id, (folder / "JSON.json").read_bytes())["state"] == "succeeded"
        # Reviewed by nobody yet: every labeled task waits for review, so nothing is finished.
        _, finished = export(tenant, project_id, "jsonl")
        assert finished == b""
        _, everything = export(tenant, project_id, "jsonl", include_unfinished=True)
        assert len(everything.splitlines()) == len(json.loads((folder / "JSON.json").read_bytes()))
        _, waiting = export(tenant, project_id, "jsonl", include_unfinished=True, stages=["review"])
        assert len(waiting.splitlines()) == 8  # the two skipped tasks wait for annotation

    def test_labels_and_times(self, tenant: Tenant, imported: dict[str, Any]) -> None:
        project_id, _ = imported["image_bbox_1"]
        _, lights = export(tenant, project_id, "jsonl", labels=["traffic light"])
        found = [json.loads(line) for line in lights.splitlines()]
        assert found
        for record in found:
            labels = {o["label"] for o in record["submissions"][-1]["payload"]["objects"]}
            assert "traffic light" in labels
        _, all_of_it = export(tenant, project_id, "jsonl")
        assert len(found) < len(all_of_it.splitlines())
        # The fixture's work was recorded on 2026-11-22: a window after it holds nothing, one
        # around it everything.
        _, later = export(tenant, project_id, "jsonl", since="2026-11-23T00:00:00Z")
        assert later == b""
        _, around = export(
            tenant, project_id, "jsonl", since="2026-11-22T00:00:00Z", until="2026-11-23T00:00:00Z"
        )
        assert around == all_of_it

    def test_a_window_that_ends_before_it_begins(self, tenant: Tenant, imported: dict[str, Any]) -> None:
        project_id, _ = imported["image_bbox_1"]
        body = {"format": "jsonl", "since": "2026-11-23T00:00:00Z", "until": "2026-11-22T00:00:00Z"}
        response = tenant.call("POST", f"/projects/{project_id}/exports", json=body)
        assert response.status_code == 400
        assert "'until' must come after 'since'" in response.json()["detail"]
