"""Enclave as the head-to-head benchmark's platform (``bench.platform.Platform``): a real api process in
production mode over HTTPS, with everything on — TLS to every component, sealed payloads, audit events
in the same transaction, the authorization policy on every call — driven through its public API with
real API keys (the admin's for setup, listing and export; one per annotator for the labeling).

Owns an organization made for the run; never touches another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import msgspec
from tests.integration.stack import Stack
from tests.support.api_process import ApiProcess, free_port, running_api_process
from tests.support.superuser import superuser

from bench.annotator_http import AnnotatorClient
from bench.platform import Background, Image, TaskRef
from bench.processes import children
from bench.seed import copy_row, settle
from bench.tenant import BenchTenant, issue_api_keys, provision_tenant
from enclave.authz.scopes import Scope
from enclave.datasets.texts import MAX_ITEMS

ONTOLOGY = {"objects": [{"name": "car", "kind": "bbox"}], "classifications": []}
BOX = {"objects": [{"kind": "bbox", "label": "car", "x": 10, "y": 20, "width": 30, "height": 40}]}
#: Uploads in flight at once while importing (each is one streamed, sealed object).
UPLOADS_IN_FLIGHT = 16
ADMIN_SCOPES = [Scope.ADMIN, Scope.DATA_READ, Scope.DATA_WRITE, Scope.TASKS_READ, Scope.TASKS_WRITE]
ANNOTATOR_SCOPES = [Scope.TASKS_READ, Scope.TASKS_WRITE, Scope.ANNOTATIONS_WRITE]


class Enclave:
    name = "enclave"

    def __init__(
        self,
        stack: Stack,
        work_dir: Path,
        api_command: Sequence[str] = (sys.executable, "-m", "enclave.api"),
        api_settings: Mapping[str, str] | None = None,
        replicas: int = 0,
    ) -> None:
        """``replicas`` > 0 runs that many api processes of one worker each, sharing one port (as
        ``make up`` with ``ENCLAVE_REPLICAS`` does); 0 runs one api as installed (a worker per core)."""
        self._api_command = api_command
        self._api_settings = api_settings
        self._stack = stack
        self._log = work_dir / "enclave-api.log"
        self._exits = contextlib.ExitStack()
        self._replicas = replicas
        self._apis: list[ApiProcess] = []
        self._admin: httpx.AsyncClient | None = None
        self._annotators: list[AnnotatorClient] = []
        self._project = ""
        self._ontology = ""
        self._dataset = ""
        self._organization: uuid.UUID | None = None
        #: Tasks in the project: the sum of what each ``POST tasks`` answered it created.
        self._tasks = 0
        self.facts: dict[str, str] = {
            "version": importlib.metadata.version("enclave"),
            "server": "uvicorn (python -m enclave.api), one worker process per core, production mode, HTTPS",
            "security": "TLS to every component, AES-256-GCM sealed payloads and names, "
            "audit outbox per change, policy check per call",
        }

    def server_pids(self) -> list[int]:
        """Every api process: uvicorn's supervisor and its workers, or each replica."""
        return [pid for api in self._apis for pid in (api.pid, *children(api.pid))]

    def replica_pids(self) -> list[list[int]]:
        """The processes of each api replica (one each when ``replicas`` > 0)."""
        return [[api.pid, *children(api.pid)] for api in self._apis]

    @property
    def _api(self) -> ApiProcess | None:
        return self._apis[0] if self._apis else None

    @property
    def _api_url(self) -> str:
        if self._api is None:
            raise RuntimeError("prepare() starts the api first")
        return self._api.url

    def _client(self, key: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"{self._api_url}/api/v1",
            headers={"Authorization": f"Bearer {key}"},
            verify=self._stack.tls,
            timeout=120,
        )

    async def prepare(self, annotators: int) -> None:
        if self._replicas:
            port = free_port()
            shared = {**(self._api_settings or {}), "ENCLAVE_API_SHARED_PORT": "true"}
            for n in range(self._replicas):
                log = self._log.with_name(f"{self._log.stem}-{n + 1}.log")
                self._apis.append(
                    self._exits.enter_context(
                        running_api_process(
                            self._stack, log, "production", shared, command=self._api_command, port=port
                        )
                    )
                )
        else:
            self._apis.append(
                self._exits.enter_context(
                    running_api_process(
                        self._stack, self._log, "production", self._api_settings, command=self._api_command
                    )
                )
            )
        tenant: BenchTenant = await provision_tenant(ADMIN_SCOPES, prefix="bench-ls")
        self._admin = self._client(tenant.api_key)
        self._organization = tenant.organization_id
        ontology = await self._ok("POST", "/ontologies", json={"name": "boxes", "definition": ONTOLOGY})
        project = await self._ok("POST", "/projects", json={"name": "cars", "ontology_id": ontology["id"]})
        dataset = await self._ok("POST", "/datasets", json={"name": "images", "kind": "image"})
        self._project, self._ontology, self._dataset = project["id"], ontology["id"], dataset["id"]
        await self._ok("POST", f"/projects/{self._project}/datasets", json={"dataset_id": self._dataset})
        members = []
        for n in range(annotators):
            body = {
                "email": f"annotator{n}@bench.example",
                "display_name": f"Annotator {n}",
                "role": "member",
            }
            member = await self._ok("POST", "/members", json=body)
            members.append(uuid.UUID(member["user_id"]))
            await self._ok(
                "POST",
                f"/projects/{self._project}/members",
                json={"user_id": member["user_id"], "role": "annotator"},
            )
        keys = await issue_api_keys(tenant.organization_id, members, ANNOTATOR_SCOPES)
        self._annotators = [
            AnnotatorClient(f"{self._api_url}/api/v1", f"Bearer {key}", self._stack.tls, timeout_s=120)
            for key in keys
        ]

    async def _ok(
        self, method: str, path: str, client: httpx.AsyncClient | None = None, **kwargs: Any
    ) -> Any:
        client = client or self._admin_client
        response = await client.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    @property
    def _admin_client(self) -> httpx.AsyncClient:
        if self._admin is None:
            raise RuntimeError("prepare() makes the admin's client first")
        return self._admin

    async def import_images(self, images: list[Image]) -> int:
        gate = asyncio.Semaphore(UPLOADS_IN_FLIGHT)

        async def upload(image: Image) -> None:
            headers = {
                "Content-Type": "image/png",
                "Content-Disposition": f'attachment; filename="{image.name}"',
            }
            async with gate:
                await self._ok(
                    "POST", f"/datasets/{self._dataset}/files", content=image.data, headers=headers
                )

        await asyncio.gather(*(upload(image) for image in images))
        created = await self._ok("POST", f"/projects/{self._project}/tasks", json={})
        self._tasks += int(created["created"])
        return self._tasks

    async def next_task(self, annotator: int) -> TaskRef | None:
        taken = await self._annotated(annotator, f"/projects/{self._project}/tasks/next", {})
        task = taken["task"]
        return None if task is None else TaskRef(task["id"])

    async def submit_box(self, annotator: int, task: TaskRef) -> None:
        await self._annotated(annotator, f"/tasks/{task.id}/annotations", {"payload": BOX})

    async def _annotated(self, annotator: int, path: str, body: dict[str, Any]) -> Any:
        """An annotator's POST; any answer but a success ends the run (as ``_ok``)."""
        reply = await self._annotators[annotator].request("POST", path, json=body)
        if reply.status >= 300:
            raise RuntimeError(f"POST {path}: {reply.status} {reply.body[:300]!r}")
        return reply.json()

    async def list_page(self) -> int:
        page = await self._ok("GET", f"/projects/{self._project}/tasks", params={"limit": 100})
        return len(page["items"])

    async def export(self) -> int:
        annotations = 0
        path = f"/projects/{self._project}/export"
        async with self._admin_client.stream("GET", path, params={"format": "jsonl"}) as response:
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code}")
            async for line in response.aiter_lines():
                if line and '"annotation":{' in line:
                    annotations += 1
        return annotations

    async def add_tasks(self, count: int) -> None:
        await self._text_tasks(self._admin_client, self._project, count, "filler")
        self._tasks += count

    async def _text_tasks(self, client: httpx.AsyncClient, project: str, count: int, name: str) -> None:
        """``count`` text items (the JSONL import, as many a request as the api takes) in a dataset of
        their own, attached to ``project``, and a task for each."""
        dataset = await self._ok("POST", "/datasets", client, json={"name": name, "kind": "text"})
        await self._ok("POST", f"/projects/{project}/datasets", client, json={"dataset_id": dataset["id"]})
        for start in range(0, count, MAX_ITEMS):
            lines = [
                {"text": f"{name} {n}", "name": f"{name}-{n:06d}"}
                for n in range(start, min(count, start + MAX_ITEMS))
            ]
            await self._ok(
                "POST",
                f"/datasets/{dataset['id']}/texts",
                client,
                content=b"\n".join(msgspec.json.encode(line) for line in lines),
                headers={"Content-Type": "application/jsonl"},
            )
        created = await self._ok(
            "POST", f"/projects/{project}/tasks", client, json={"dataset_id": dataset["id"]}
        )
        if created["created"] != count:
            raise RuntimeError(f"{created['created']} tasks made of {count} items")

    async def add_background(self, background: Background) -> None:
        # Another project of this organization, its tasks done, holding the versions: copies of one
        # version this run submitted, sealed under this organization's key (never opened: no
        # measured request reads another project's annotations).
        archive = await self._ok("POST", "/projects", json={"name": "archive", "ontology_id": self._ontology})
        await self._text_tasks(self._admin_client, archive["id"], background.archive_tasks, "archive")
        connection = await superuser(self._stack)
        try:
            async with connection.transaction():
                template = await connection.fetchval(
                    "SELECT id FROM annotation_versions WHERE organization_id = $1 LIMIT 1",
                    self._organization,
                )
                await copy_row(
                    connection,
                    "annotation_versions",
                    template,
                    source="tasks t CROSS JOIN generate_series(1, $3) v WHERE t.project_id = $2",
                    args=(uuid.UUID(archive["id"]), background.versions_per_task),
                    fresh=("id",),
                    values={
                        "task_id": "t.id",
                        "version": "v",
                        "idempotency_key": "NULL",
                        "created_at": "now()",
                    },
                )
                await connection.execute(
                    "UPDATE tasks SET stage = 'done' WHERE project_id = $1", uuid.UUID(archive["id"])
                )
        finally:
            await connection.close()
        # The other organizations, each with a project of text tasks.
        for n in range(background.organizations - 1):
            other = await provision_tenant(ADMIN_SCOPES, prefix="bench-other")
            async with self._client(other.api_key) as client:
                ontology = await self._ok(
                    "POST", "/ontologies", client, json={"name": "boxes", "definition": ONTOLOGY}
                )
                project = await self._ok(
                    "POST", "/projects", client, json={"name": f"other {n}", "ontology_id": ontology["id"]}
                )
                await self._text_tasks(client, project["id"], background.tasks_per_organization, "other")
        connection = await superuser(self._stack)
        try:
            await settle(connection, "tasks", "annotation_versions", "data_items", "audit_outbox")
        finally:
            await connection.close()

    async def close(self) -> None:
        for annotator in self._annotators:
            await annotator.close()
        if self._admin is not None:
            await self._admin.aclose()
        self._exits.close()
