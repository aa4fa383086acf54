"""Projects the browser tests work in, made through the api as the organization's admin: real image
files (PNG, made here) in a dataset, tasks, members and assignments."""

from __future__ import annotations

import io
import uuid
from typing import Any

from PIL import Image

from tests.integration.domain.world import Tenant

ONTOLOGY = {"objects": [{"name": "car", "kind": "bbox"}, {"name": "road", "kind": "polygon"}]}


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(out, format="PNG")
    return out.getvalue()


def image_project(org: Tenant, *, review: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """A project of two images, with the tasks they made."""
    suffix = uuid.uuid4().hex[:6]
    ontology = org.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
    project = org.ok(
        "POST",
        "/projects",
        json={"name": f"p-{suffix}", "ontology_id": ontology["id"], "review_required": review},
    )
    dataset = org.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "image"})
    for name in ("street.png", "elsewhere.png"):
        headers = {"Content-Type": "image/png", "Content-Disposition": f'attachment; filename="{name}"'}
        org.ok("POST", f"/datasets/{dataset['id']}/files", content=png(640, 480), headers=headers)
    org.ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
    org.ok("POST", f"/projects/{project['id']}/tasks", json={})
    tasks = org.ok("GET", f"/projects/{project['id']}/tasks")["items"]
    assert len(tasks) == 2
    return str(project["id"]), tasks


def assign(org: Tenant, task: dict[str, Any], user: uuid.UUID, reviewer: uuid.UUID | None = None) -> None:
    headers = {"If-Match": f'"v{task["version"]}"'}
    body = {"assignee_id": str(user), **({"reviewer_id": str(reviewer)} if reviewer else {})}
    org.ok("PATCH", f"/tasks/{task['id']}", json=body, headers=headers)


def draw_box(page: Any, canvas: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drags a box on the editor's canvas between two points given as fractions of its size."""
    box = canvas.bounding_box()
    assert box is not None
    x1, y1 = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    x2, y2 = box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1]
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
    page.mouse.move(x2, y2, steps=4)
    page.mouse.up()
