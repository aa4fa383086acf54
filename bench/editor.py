"""The labeling editor's speed (issue 22), in headless Chromium on this machine: an image task with
500 boxes and 50 polygons is opened by its annotator (after a reviewer sent it back, so the editor
starts from that work), and one box among them is dragged. Reports the time from navigation to all
550 shapes listed, the longest main-thread task while opening, the longest while dragging, and the
gzipped size of the app's JavaScript.

Goals: opens in under 1 s; no long task over 50 ms while dragging; JavaScript under 300 kB gzipped.
Label Studio's editor, for comparison, blocks its main thread for 1.39 s at 300 boxes.

The api runs in production mode with the built app; the annotator signs in through Keycloak like a
person (the browser trusts the stack's CA in its own certificate store).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import random
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import sync_playwright
from tests.support.api_process import running_api_process
from tests.support.browser import CHROMIUM, browser_home, chromium_env

from bench.core import Context, Goal, Result, Table
from bench.tenant import issue_api_keys, provision_tenant
from enclave.authz.scopes import Scope
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings

BOXES, POLYGONS = 500, 50
WIDTH, HEIGHT = 1600, 1200
SCOPES = [Scope.ADMIN, Scope.DATA_READ, Scope.DATA_WRITE, Scope.TASKS_READ, Scope.TASKS_WRITE]
WORKER_SCOPES = [Scope.TASKS_READ, Scope.TASKS_WRITE, Scope.ANNOTATIONS_WRITE, Scope.REVIEWS_WRITE]
ONTOLOGY = {"objects": [{"name": "cell", "kind": "bbox"}, {"name": "region", "kind": "polygon"}]}
#: Collects the page's long tasks (over 50 ms) from the first script on; injected by the browser's
#: debugging protocol, outside the page's Content Security Policy, as any profiler is.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
}).observe({type: "longtask", buffered: true});
"""


#: The centre of the shape the transformer holds (the selected one), in the page's pixels.
SELECTED_CENTRE = """
(() => {
  const stage = window.Konva.stages[0];
  const [shape] = stage.findOne("Transformer").nodes();
  const box = shape.getClientRect();
  const page = stage.container().getBoundingClientRect();
  return [page.left + box.x + box.width / 2, page.top + box.y + box.height / 2];
})()
"""


def payload(seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 — shapes for a benchmark, not a secret
    objects: list[dict[str, Any]] = []
    for _ in range(BOXES):
        w, h = rng.uniform(10, 60), rng.uniform(10, 60)
        x, y = rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h)
        objects.append({"kind": "bbox", "label": "cell", "x": x, "y": y, "width": w, "height": h})
    for _ in range(POLYGONS):
        cx, cy = rng.uniform(100, WIDTH - 100), rng.uniform(100, HEIGHT - 100)
        points = [[cx + rng.uniform(-80, 80), cy + rng.uniform(-80, 80)] for _ in range(8)]
        objects.append({"kind": "polygon", "label": "region", "points": points})
    return {"objects": objects, "classifications": {}}


def largest_box() -> int:
    """The place, in the payload, of its largest box."""
    objects = payload()["objects"]
    return max(range(BOXES), key=lambda i: objects[i]["width"] * objects[i]["height"])


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (40, 60, 80)).save(out, format="PNG")
    return out.getvalue()


class EditorBenchmark:
    name = "editor"
    summary = (
        f"the labeling editor in headless Chromium: {BOXES} boxes and {POLYGONS} polygons, open and drag"
    )

    def __init__(self) -> None:
        #: The annotator's Keycloak password, made for the run and never shown.
        self.password = secrets.token_urlsafe(24)

    def run(self, context: Context) -> Result:
        build = os.environ.get("ENCLAVE_API_WEBAPP_DIR")
        if not build:
            raise RuntimeError("the editor benchmark needs the built app: run it through `make bench`")
        settings = {"ENCLAVE_API_WEBAPP_DIR": build}
        log = context.work_dir / "editor-api.log"
        with running_api_process(context.stack, log, "production", settings) as api:
            slug, email, task_id = asyncio.run(self._prepare(context, api.url))
            figures = self._measure(context, api.url, slug, email, task_id)
        figures["javascript_gzip_kb"] = round(_javascript_gzip(Path(build)) / 1024, 1)
        goals = [
            Goal("editor opens 550 shapes (1 s / time to open)", 1.0 / figures["open_s"], 1),
            Goal(
                "longest task while dragging (50 ms / longest)",
                50 / max(figures["drag_longest_task_ms"], 1),
                1,
            ),
            Goal("editor JavaScript (300 kB / gzipped size)", 300 / figures["javascript_gzip_kb"], 1),
        ]
        rows = [(name, f"{value}") for name, value in figures.items()]
        return Result(
            self.name,
            figures,
            tables=[
                Table(f"The editor with {BOXES} boxes and {POLYGONS} polygons", ("figure", "value"), rows)
            ],
            goals=goals,
        )

    async def _prepare(self, context: Context, url: str) -> tuple[str, str, str]:
        tenant = await provision_tenant(SCOPES, prefix="bench-editor")
        realms = RealmService(admin_from_settings(KeycloakSettings(), TLSSettings()))
        await asyncio.to_thread(realms.ensure_realm, realm_spec_for(tenant.slug, "Editor benchmark", url))
        async with httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers=tenant.authorization, verify=context.stack.tls, timeout=120
        ) as admin:

            async def ok(method: str, path: str, client: httpx.AsyncClient = admin, **kwargs: Any) -> Any:
                response = await client.request(method, path, **kwargs)
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
                return response.json() if response.content else None

            people = {}
            for role in ("annotator", "reviewer"):
                email = f"{role}-{uuid.uuid4().hex[:6]}@bench.example"
                made = await ok(
                    "POST", "/members", json={"email": email, "display_name": role, "role": "member"}
                )
                people[role] = (email, made["user_id"])
            annotator_email = people["annotator"][0]
            await asyncio.to_thread(
                realms.create_user,
                tenant.slug,
                email=annotator_email,
                first_name="Bench",
                last_name="Annotator",
                password=self.password,
                temporary_password=False,
            )
            ontology = await ok("POST", "/ontologies", json={"name": "cells", "definition": ONTOLOGY})
            project = await ok("POST", "/projects", json={"name": "cells", "ontology_id": ontology["id"]})
            dataset = await ok("POST", "/datasets", json={"name": "slides", "kind": "image"})
            headers = {"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="slide.png"'}
            await ok("POST", f"/datasets/{dataset['id']}/files", content=png(), headers=headers)
            await ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
            await ok("POST", f"/projects/{project['id']}/tasks", json={})
            for role, (_, user_id) in people.items():
                await ok(
                    "POST", f"/projects/{project['id']}/members", json={"user_id": user_id, "role": role}
                )
            [task] = (await ok("GET", f"/projects/{project['id']}/tasks"))["items"]
            body = {"assignee_id": people["annotator"][1], "reviewer_id": people["reviewer"][1]}
            await ok(
                "PATCH", f"/tasks/{task['id']}", json=body, headers={"If-Match": f'"v{task["version"]}"'}
            )
            keys = await issue_api_keys(
                tenant.organization_id,
                [uuid.UUID(people["annotator"][1]), uuid.UUID(people["reviewer"][1])],
                WORKER_SCOPES,
            )
            for key, method, path, json_body in (
                (keys[0], "POST", f"/tasks/{task['id']}/annotations", {"payload": payload()}),
                (
                    keys[1],
                    "POST",
                    f"/tasks/{task['id']}/reviews",
                    {"decision": "reject", "comment": "Check the edges."},
                ),
            ):
                async with httpx.AsyncClient(
                    base_url=f"{url}/api/v1",
                    headers={"Authorization": f"Bearer {key}"},
                    verify=context.stack.tls,
                ) as worker:
                    await ok(method, path, worker, json=json_body)
        return tenant.slug, annotator_email, str(task["id"])

    def _measure(self, context: Context, url: str, slug: str, email: str, task_id: str) -> dict[str, Any]:
        with (
            tempfile.TemporaryDirectory(prefix="enclave-editor-browser-") as folder,
            sync_playwright() as playwright,
        ):
            home = browser_home(Path(folder), context.stack.ca_file)
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, env=chromium_env(home)
            )
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                page.goto(f"{url}/app/")
                page.get_by_label("Organization").fill(slug)
                page.get_by_role("button", name="Sign in").click()
                page.get_by_label("Username or email").fill(email)
                page.get_by_label("Password", exact=True).fill(self.password)
                page.get_by_role("button", name="Sign In").click()
                page.get_by_role("navigation", name="Main").wait_for(timeout=60_000)
                page.add_init_script(LONG_TASKS)
                page.goto(f"{url}/app/tasks/{task_id}")
                page.get_by_role("heading", name=f"Shapes ({BOXES + POLYGONS})").wait_for(timeout=60_000)
                opened = page.evaluate("performance.now()") / 1000
                open_tasks = page.evaluate("window.__longTasks.map(t => t[1])")
                page.evaluate("window.__longTasks = []")
                page.get_by_role("button", name="Select", exact=True).click()
                # The largest box: small ones are all transformer handle at this zoom.
                page.get_by_role("button", name=f"Box {largest_box() + 1}: cell", exact=True).click()
                # Where the selected box is on the screen: konva's own record of the stage.
                page.get_by_role("application").scroll_into_view_if_needed()
                centre = page.evaluate(SELECTED_CENTRE)
                x, y = centre
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(x + 120, y + 80, steps=40)
                page.mouse.up()
                page.wait_for_timeout(300)
                drag_tasks = page.evaluate("window.__longTasks.map(t => t[1])")
                moved = page.evaluate(SELECTED_CENTRE)
                if abs(moved[0] - centre[0] - 120) > 5 or abs(moved[1] - centre[1] - 80) > 5:
                    raise RuntimeError(f"the drag did not move the box ({centre} to {moved})")
            finally:
                browser.close()
        return {
            "open_s": round(opened, 3),
            "open_longest_task_ms": round(max(open_tasks, default=0), 1),
            "drag_longest_task_ms": round(max(drag_tasks, default=0), 1),
            "drag_long_tasks": len(drag_tasks),
        }


def _javascript_gzip(build: Path) -> int:
    return sum(len(gzip.compress(p.read_bytes())) for p in (build / "assets").glob("*.js"))
