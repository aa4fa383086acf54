"""``LabelStudio``: the benchmark's workload spoken in Label Studio's REST API, and ``start_label_studio``,
which brings a fresh Label Studio up for it (install, database, migrations, gunicorn).

Owns the HTTP side: one ``AnnotatorClient`` per annotator, each with that user's own token, and
one ``httpx.AsyncClient`` for the project's owner (project, import, task list, export). Every call
is a real request; nothing is answered from what an earlier call returned. Must never change how
Label Studio schedules work: the next task is whatever Label Studio's own label stream
(``/api/projects/{id}/next/``) hands out.
"""

from __future__ import annotations

import asyncio
import mimetypes
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from tests.integration.stack import Stack
from tests.support.superuser import superuser

from bench.annotator_http import AnnotatorClient
from bench.peer.database import NAME as DATABASE
from bench.peer.database import Database, create_database, drop_database
from bench.peer.install import GUNICORN_VERSION, Installation, cache_dir, install_label_studio
from bench.peer.server import Gunicorn, label_studio_env, migrate, provision, start_gunicorn
from bench.platform import Background, Image, TaskRef
from bench.seed import copy_row, settle

#: One image, one rectangle tool with the single label the workload draws.
LABEL_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="car"/>
  </RectangleLabels>
</View>"""
#: Where a task says its image is when only references are imported: Label Studio stores the reference,
#: and the annotation API never fetches it.
IMAGE_URL_PREFIX = "/data/bench/"
#: Label Studio's own limit on files in one upload request (its DATA_UPLOAD_MAX_NUMBER_FILES default).
UPLOAD_FILES_PER_REQUEST = 100
UPLOADS_IN_FLIGHT = 4
#: Tasks in one JSON import request when many are added at once.
TASKS_PER_IMPORT = 10_000
PAGE_SIZE = 100
REQUEST_TIMEOUT_S = 60.0
#: Importing or exporting a whole project is one request that may take minutes.
BULK_TIMEOUT_S = 900.0


def box_result() -> list[dict[str, Any]]:
    """The annotation's ``result``: the workload's one box, in Label Studio's percent coordinates."""
    return [
        {
            "from_name": "label",
            "to_name": "image",
            "type": "rectanglelabels",
            "value": {
                "x": 10,
                "y": 20,
                "width": 30,
                "height": 40,
                "rotation": 0,
                "rectanglelabels": ["car"],
            },
        }
    ]


def image_tasks(images: list[Image]) -> list[dict[str, Any]]:
    """One Label Studio task per image, its ``data.image`` naming the image."""
    return [{"data": {"image": f"{IMAGE_URL_PREFIX}{image.name}"}} for image in images]


def image_files(images: list[Image]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """A multipart upload of ``images``, one field each (Django keeps only the last file of a field)."""
    return [
        (image.name, (image.name, image.data, mimetypes.guess_type(image.name)[0] or "image/png"))
        for image in images
    ]


class LabelStudio:
    """A running Label Studio as a ``bench.platform.Platform``; ``close`` stops it and drops its database."""

    name = "label-studio"

    def __init__(
        self,
        stack: Stack,
        installation: Installation,
        env: dict[str, str],
        server: Gunicorn,
        run_dir: Path,
        data_dir: Path,
        upload_images: bool = False,
    ) -> None:
        self._stack = stack
        self._installation = installation
        self._env = env
        self._server = server
        self._run_dir = run_dir
        self._data_dir = data_dir
        self._upload_images = upload_images
        self._owner: httpx.AsyncClient | None = None
        self._annotators: list[AnnotatorClient] = []
        self._project_id: int | None = None
        self.facts: dict[str, str] = {
            "version": installation.version,
            "gunicorn": GUNICORN_VERSION,
            # As run, but with the machine's own cache folder named by its variable, not its path.
            "server_command": " ".join(server.command).replace(str(cache_dir()), "$ENCLAVE_CACHE"),
            "workers": str(server.workers),
            "database": "the stack's PostgreSQL (own database and role), libpq sslmode=verify-full",
            "auth": "legacy API tokens, enabled for the benchmark's organization",
            "next_task": "GET /api/projects/{id}/next/ (Label Studio's label stream, task locks)",
            "import": (
                f"image files uploaded, {UPLOAD_FILES_PER_REQUEST} a request"
                if upload_images
                else "one JSON list of tasks referencing the images (no bytes sent)"
            ),
        }

    def server_pids(self) -> list[int]:
        return self._server.pids()

    async def prepare(self, annotators: int) -> None:
        log = self._run_dir / "label-studio-provision.log"
        tokens = await provision(self._installation, self._env, annotators, self._data_dir, log)
        self._owner = self._client(tokens.owner, BULK_TIMEOUT_S)
        self._annotators = [
            AnnotatorClient(self._server.url, f"Token {token}", None, REQUEST_TIMEOUT_S)
            for token in tokens.annotators
        ]
        self._project_id = await self._new_project(self._owner, "Enclave benchmark")

    async def import_images(self, images: list[Image]) -> int:
        # By default one JSON list of tasks whose data.image references each image, as a project whose
        # images live in the customer's own storage is filled; Label Studio never receives the bytes.
        # With upload_images, the bytes go through Label Studio's file upload, the same endpoint as
        # multipart, which stores each file in its media directory and makes a task of it.
        if self._upload_images:
            await self._upload(images)
        else:
            response = await self._owner_client.post(
                f"/api/projects/{self._project}/import", json=image_tasks(images)
            )
            response.raise_for_status()
        project = await self._owner_client.get(f"/api/projects/{self._project}/")
        project.raise_for_status()
        return int(project.json()["task_number"])

    async def _upload(self, images: list[Image]) -> None:
        gate = asyncio.Semaphore(UPLOADS_IN_FLIGHT)

        async def upload(batch: list[Image]) -> None:
            async with gate:
                response = await self._owner_client.post(
                    f"/api/projects/{self._project}/import", files=image_files(batch)
                )
                response.raise_for_status()

        step = UPLOAD_FILES_PER_REQUEST
        await asyncio.gather(*(upload(images[at : at + step]) for at in range(0, len(images), step)))

    async def next_task(self, annotator: int) -> TaskRef | None:
        # Label Studio locks the task it hands out (TASK_LOCK_TTL) and skips tasks locked by others, so
        # with maximum_annotations=1 two annotators are not given the same task.
        response = await self._annotators[annotator].request("GET", f"/api/projects/{self._project}/next/")
        if response.status == httpx.codes.NOT_FOUND:  # "There are no tasks for <user>"
            return None
        response.raise_for_status()
        return TaskRef(str(response.json()["id"]))

    async def submit_box(self, annotator: int, task: TaskRef) -> None:
        annotation = {"result": box_result(), "lead_time": 1.0}
        response = await self._annotators[annotator].request(
            "POST", f"/api/tasks/{task.id}/annotations/", json=annotation
        )
        response.raise_for_status()

    async def list_page(self) -> int:
        # The task list of Label Studio's data manager.
        params = {"project": self._project, "page": 1, "page_size": PAGE_SIZE}
        response = await self._owner_client.get("/api/tasks/", params=params)
        response.raise_for_status()
        return len(response.json()["tasks"])

    async def export(self) -> int:
        response = await self._owner_client.get(
            f"/api/projects/{self._project}/export", params={"exportType": "JSON"}
        )
        response.raise_for_status()
        return sum(len(task["annotations"]) for task in response.json())

    async def add_tasks(self, count: int) -> None:
        await self._reference_tasks(self._owner_client, self._project, count, "filler")

    async def _reference_tasks(self, client: httpx.AsyncClient, project: int, count: int, name: str) -> None:
        """``count`` tasks referencing images (no bytes), one JSON import per ``TASKS_PER_IMPORT``."""
        for start in range(0, count, TASKS_PER_IMPORT):
            tasks = [
                {"data": {"image": f"{IMAGE_URL_PREFIX}{name}-{n:06d}.png"}}
                for n in range(start, min(count, start + TASKS_PER_IMPORT))
            ]
            response = await client.post(f"/api/projects/{project}/import", json=tasks)
            response.raise_for_status()

    async def _new_project(self, client: httpx.AsyncClient, title: str) -> int:
        # One annotation per task: the workload's "until all are done".
        project = {"title": title, "label_config": LABEL_CONFIG, "maximum_annotations": 1}
        response = await client.post("/api/projects/", json=project)
        response.raise_for_status()
        return int(response.json()["id"])

    async def add_background(self, background: Background) -> None:
        # Another project of the organization, its tasks labeled, holding the annotations: copies of
        # one this run submitted (Label Studio's own row, in its own table).
        archive = await self._new_project(self._owner_client, "archive")
        await self._reference_tasks(self._owner_client, archive, background.archive_tasks, "archive")
        connection = await superuser(self._stack, DATABASE)
        try:
            async with connection.transaction():
                template = await connection.fetchval(
                    "SELECT id FROM task_completion WHERE project_id = $1 LIMIT 1", self._project
                )
                await copy_row(
                    connection,
                    "task_completion",
                    template,
                    source="task t CROSS JOIN generate_series(1, $3) v WHERE t.project_id = $2",
                    args=(archive, background.versions_per_task),
                    omit=("id",),
                    fresh=("unique_id",),
                    values={"task_id": "t.id", "project_id": "t.project_id"},
                )
                await connection.execute(
                    "UPDATE task SET is_labeled = true, total_annotations = $2 WHERE project_id = $1",
                    archive,
                    background.versions_per_task,
                )
        finally:
            await connection.close()
        # The other organizations, each with an owner and a project of tasks.
        for n in range(background.organizations - 1):
            log = self._run_dir / "label-studio-provision.log"
            tokens = await provision(
                self._installation, self._env, 0, self._data_dir, log, prefix=f"other{n}-"
            )
            async with self._client(tokens.owner, BULK_TIMEOUT_S) as client:
                project = await self._new_project(client, f"other {n}")
                await self._reference_tasks(client, project, background.tasks_per_organization, "other")
        connection = await superuser(self._stack, DATABASE)
        try:
            await settle(connection, "task", "task_completion")
        finally:
            await connection.close()

    async def close(self) -> None:
        for annotator in self._annotators:
            await annotator.close()
        if self._owner is not None:
            await self._owner.aclose()
        self._annotators, self._owner = [], None
        await self._server.stop()
        await drop_database(self._stack)
        shutil.rmtree(self._data_dir, ignore_errors=True)

    async def __aenter__(self) -> LabelStudio:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    def _client(self, token: str, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._server.url, headers={"Authorization": f"Token {token}"}, timeout=timeout
        )

    @property
    def _owner_client(self) -> httpx.AsyncClient:
        if self._owner is None:
            raise RuntimeError("prepare() first")
        return self._owner

    @property
    def _project(self) -> int:
        if self._project_id is None:
            raise RuntimeError("prepare() first")
        return self._project_id


async def start_label_studio(
    stack_env: dict[str, str],
    work_dir: Path,
    log: Callable[[str], None] = print,
    upload_images: bool = False,
) -> LabelStudio:
    """A fresh Label Studio under gunicorn: installed (once per version), on a new database, migrated,
    answering on loopback. Its logs go to ``work_dir``; its data directory is a new temporary one.
    ``upload_images`` sends the images' bytes on import instead of references (see ``import_images``)."""
    stack = Stack(stack_env)
    installation = await asyncio.to_thread(install_label_studio, log=log)
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="label-studio-data-"))
    database: Database | None = None
    try:
        database = await create_database(stack)
        env = label_studio_env(database, data_dir)
        log(f"label-studio {installation.version}: applying its migrations")
        await migrate(installation, env, work_dir / "label-studio-migrate.log")
        server = await start_gunicorn(installation, env, work_dir / "label-studio-server.log")
    except BaseException:
        if database is not None:
            await drop_database(stack)
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    log(f"label-studio {installation.version}: gunicorn answering at {server.url}")
    return LabelStudio(stack, installation, env, server, work_dir, data_dir, upload_images)
