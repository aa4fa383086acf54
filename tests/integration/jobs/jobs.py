"""Helpers of the jobs suites: a Label Studio project imported through the api, exports asked for,
waited on and downloaded."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import item_name
from tests.integration.domain.world import Tenant

FINISHED = {"succeeded", "failed", "cancelled"}


def wait_for(tenant: Tenant, project_id: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = tenant.ok("GET", f"/projects/{project_id}/jobs/{job_id}")
        if job["state"] in FINISHED:
            return job
        assert time.monotonic() < deadline, f"the job did not finish: {job}"
        time.sleep(0.1)


def label_studio_project(tenant: Tenant, folder: Path, *, review_required: bool = False) -> tuple[str, str]:
    """An ontology from the folder's labeling config, a project with it, and a dataset holding the
    export's images (by name, metadata only) or ready for its texts, attached: ready to import."""
    suffix = uuid.uuid4().hex[:6]
    config = (folder / "label_config.xml").read_text()
    ontology = tenant.ok(
        "POST", "/ontologies/label-studio", json={"name": f"ls-{suffix}", "label_config": config}
    )
    project = tenant.ok(
        "POST",
        "/projects",
        json={"name": f"ls-{suffix}", "ontology_id": ontology["id"], "review_required": review_required},
    )
    kind = parse_config(config).kind
    dataset = tenant.ok("POST", "/datasets", json={"name": f"ls-{suffix}", "kind": kind})
    if kind == "image":
        tasks = json.loads((folder / "JSON.json").read_bytes())
        value = parse_config(config).subject.value
        names = sorted({item_name(task["data"][value]) for task in tasks})
        items = [{"name": name, "media_type": "image/jpeg"} for name in names]
        tenant.ok("POST", f"/datasets/{dataset['id']}/items", json={"items": items})
    tenant.ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
    return project["id"], dataset["id"]


def import_export(tenant: Tenant, project_id: str, document: bytes) -> dict[str, Any]:
    response = tenant.call(
        "POST",
        f"/projects/{project_id}/imports",
        content=document,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    return wait_for(tenant, project_id, response.json()["id"])


def export(tenant: Tenant, project_id: str, fmt: str, **options: Any) -> tuple[dict[str, Any], bytes]:
    job = tenant.ok("POST", f"/projects/{project_id}/exports", json={"format": fmt, **options})
    job = wait_for(tenant, project_id, job["id"])
    assert job["state"] == "succeeded", job
    response = tenant.call("GET", f"/projects/{project_id}/jobs/{job['id']}/artifact")
    assert response.status_code == 200, response.text
    return job, response.content
