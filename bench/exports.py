"""Exports at scale (issue 18): a project of N labeled image tasks — 2,000, or 100,000 with
``BENCH_SCALE=large`` — brought in through the Label Studio import, then exported as JSON lines and as
COCO by a real ``enclave-worker``, each downloaded whole. Reports the import's and each export's time
and throughput, and the worker's peak resident memory during each export: it must stay under 300 MiB
however large the project (the export streams from one snapshot into an encrypted artifact).

The throughput ratio against Label Studio is ``bench.labeling``'s, measured as before on the same
workload (both platforms' synchronous exports), so the figures stay comparable run to run.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from tests.support.api_process import running_api_process
from tests.support.worker_process import running_worker

from bench.core import Context, Goal, Result, Table, scale
from bench.labeling import RssSampler
from bench.tenant import provision_tenant
from enclave.authz.scopes import Scope

TASKS = {"default": 2_000, "large": 100_000}
QUICK_TASKS = 200
WORKER_RSS_LIMIT = 300 * 1024**2
CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<RectangleLabels name="label" toName="image">'
    '<Label value="car"/><Label value="person"/></RectangleLabels>'
    "</View>"
)
SCOPES = [Scope.ADMIN, Scope.DATA_READ, Scope.DATA_WRITE, Scope.TASKS_READ, Scope.TASKS_WRITE]
WORKER_SETTINGS = {"ENCLAVE_WORKER_POLL_INTERVAL_S": "0.05"}
ITEMS_PER_REQUEST = 1000


def label_studio_export(count: int) -> bytes:
    """``count`` tasks, each an image with two boxes by one annotator, as Label Studio exports them."""
    tasks = []
    for n in range(count):
        boxes = [_region(f"b{n}_{k}", 10.0 + k * 40, "car" if k == 0 else "person") for k in range(2)]
        tasks.append(
            {
                "id": n + 1,
                "data": {"image": f"/data/upload/1/img{n:06}.jpg"},
                "annotations": [_annotation(n + 1, boxes)],
            }
        )
    return json.dumps(tasks).encode()


def _region(region_id: str, x: float, label: str) -> dict[str, Any]:
    value = {"x": x, "y": 20.0, "width": 30.0, "height": 40.0, "rotation": 0, "rectanglelabels": [label]}
    return {
        "id": region_id,
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": 640,
        "original_height": 480,
        "value": value,
    }


def _annotation(number: int, boxes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": number,
        "completed_by": 1,
        "result": boxes,
        "was_cancelled": False,
        "created_at": "2026-11-22T15:07:04Z",
    }


@dataclass
class ExportFigures:
    format: str
    seconds: float
    tasks: int
    bytes: int
    worker_peak_rss: int

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "export_s": round(self.seconds, 3),
            "tasks_per_s": round(self.tasks / self.seconds, 1),
            "artifact_mib": round(self.bytes / 1024**2, 2),
            "worker_peak_rss_mib": round(self.worker_peak_rss / 1024**2, 1),
        }


class ExportBenchmark:
    name = "exports"
    summary = "a Label Studio import and COCO/JSONL exports by a worker (BENCH_SCALE=large: 100,000 tasks)"

    def run(self, context: Context) -> Result:
        return asyncio.run(self._run(context))

    async def _run(self, context: Context) -> Result:
        chosen = scale() or "default"
        count = QUICK_TASKS if context.quick else TASKS[chosen]
        api_log, worker_log = context.work_dir / "exports-api.log", context.work_dir / "exports-worker.log"
        with running_api_process(context.stack, api_log, "production") as api:
            tenant = await provision_tenant(SCOPES, prefix="bench-exports")
            async with httpx.AsyncClient(
                base_url=f"{api.url}/api/v1",
                headers=tenant.authorization,
                verify=context.stack.tls,
                timeout=600,
            ) as client:
                project = await _project(client, count, context)
                context.console.log(f"exports: importing {count} Label Studio tasks")
                with (
                    running_worker(context.stack, worker_log, WORKER_SETTINGS) as importer,
                    RssSampler([importer.pid]) as import_memory,
                ):
                    started = time.perf_counter()
                    job = await _job(client, project, "imports", content=label_studio_export(count))
                    import_s = time.perf_counter() - started
                if job["result"]["tasks"] != count:
                    raise RuntimeError(f"the import made {job['result']['tasks']} of {count} tasks")
                exported = []
                for fmt in ("jsonl", "coco"):
                    # A fresh worker per export: its peak is the export's alone, not what an
                    # earlier job left in the process.
                    context.console.log(f"exports: exporting {count} tasks as {fmt}")
                    with (
                        running_worker(context.stack, worker_log, WORKER_SETTINGS) as worker,
                        RssSampler([worker.pid]) as memory,
                    ):
                        started = time.perf_counter()
                        size = await _export(client, project, fmt, count)
                        seconds = time.perf_counter() - started
                    exported.append(ExportFigures(fmt, seconds, count, size, memory.peak))
        summaries = [e.summary() for e in exported]
        goals = [
            Goal(
                f"{e.format} export worker memory headroom (300 MiB / peak RSS)",
                WORKER_RSS_LIMIT / e.worker_peak_rss,
                1,
            )
            for e in exported
        ]
        rows = [
            (
                s["format"],
                f"{s['export_s']}",
                f"{s['tasks_per_s']}",
                f"{s['artifact_mib']}",
                f"{s['worker_peak_rss_mib']}",
            )
            for s in summaries
        ]
        return Result(
            self.name,
            {
                "scale": chosen,
                "tasks": count,
                "import_s": round(import_s, 3),
                "import_worker_peak_rss_mib": round(import_memory.peak / 1024**2, 1),
                "exports": summaries,
            },
            tables=[
                Table(
                    f"Exports of {count} tasks by one worker (import: {import_s:.1f} s, "
                    f"its worker's peak RSS {import_memory.peak / 1024**2:.0f} MiB)",
                    ("format", "seconds", "tasks/s", "artifact MiB", "worker peak RSS MiB"),
                    rows,
                )
            ],
            goals=goals,
        )


async def _ok(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await client.request(method, path, **kwargs)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


async def _project(client: httpx.AsyncClient, count: int, context: Context) -> str:
    ontology = await _ok(
        client, "POST", "/ontologies/label-studio", json={"name": "boxes", "label_config": CONFIG}
    )
    project = await _ok(
        client,
        "POST",
        "/projects",
        json={"name": "cars", "ontology_id": ontology["id"], "review_required": False},
    )
    dataset = await _ok(client, "POST", "/datasets", json={"name": "images", "kind": "image"})
    context.console.log(f"exports: registering {count} images by name")
    for start in range(0, count, ITEMS_PER_REQUEST):
        names = range(start, min(start + ITEMS_PER_REQUEST, count))
        items = [{"name": f"img{n:06}.jpg", "media_type": "image/jpeg"} for n in names]
        await _ok(client, "POST", f"/datasets/{dataset['id']}/items", json={"items": items})
    await _ok(client, "POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
    return str(project["id"])


async def _job(client: httpx.AsyncClient, project: str, path: str, **kwargs: Any) -> dict[str, Any]:
    if "content" in kwargs:
        kwargs["headers"] = {"Content-Type": "application/json"}
    job = await _ok(client, "POST", f"/projects/{project}/{path}", **kwargs)
    while job["state"] in {"queued", "running"}:
        await asyncio.sleep(0.05)
        job = await _ok(client, "GET", f"/projects/{project}/jobs/{job['id']}")
    if job["state"] != "succeeded":
        raise RuntimeError(f"the job ended {job['state']}: {job['error']}")
    return dict(job)


async def _export(client: httpx.AsyncClient, project: str, fmt: str, count: int) -> int:
    job = await _job(client, project, "exports", json={"format": fmt})
    size = 0
    async with client.stream("GET", f"/projects/{project}/jobs/{job['id']}/artifact") as response:
        if response.status_code != 200:
            raise RuntimeError(f"download: {response.status_code}")
        async for chunk in response.aiter_bytes():
            size += len(chunk)
    if size != job["artifact"]["size"] or job["progress"]["done"] < count:
        raise RuntimeError(f"the {fmt} export is short: {job}")
    return size
