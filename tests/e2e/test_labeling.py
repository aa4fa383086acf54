"""An annotator labels an image in the real editor — two boxes and a polygon, drawn with the mouse
— saving a draft on the way (Ctrl + S) that a reload brings back, and submits; what the api stored is
exactly that, and the draft is gone. Another annotator skips a task, after saying so twice. Their
browser never receives anything of a task that is not theirs (read from the browser's own network
log), and the CSP reports no violation."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page, Response, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.projects import assign, image_project
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.identity.signin import person


def test_label_an_image_with_two_boxes_and_a_polygon(
    page: Page, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    annotator, other = person(org, realms), person(org, realms)
    project, (mine, theirs) = image_project(org)
    for who in (annotator, other):
        org.ok(
            "POST", f"/projects/{project}/members", json={"user_id": str(who.user_id), "role": "annotator"}
        )
    assign(org, mine, annotator.user_id)
    assign(org, theirs, other.user_id)
    seen: list[str] = []

    def record(response: Response) -> None:
        if "/api/v1/" in response.url or "/content" in response.url:
            body = (
                response.body() if response.ok and "json" in response.headers.get("content-type", "") else b""
            )
            seen.append(response.url + " " + body.decode("utf-8", "replace"))

    page.on("response", record)
    sign_in(page, webapp_built, org.slug, annotator)
    page.get_by_role("link", name=f"Open task {mine['id'][:8]}").click()
    canvas = page.get_by_role("application", name=re.compile("^Image "))
    expect(canvas).to_be_visible(timeout=30_000)
    box = canvas.bounding_box()
    assert box is not None

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy

    page.get_by_role("radio", name=re.compile("^car")).check()
    page.get_by_role("button", name="Box", exact=True).click()
    for (x1, y1), (x2, y2) in ((at(0.2, 0.2), at(0.4, 0.45)), (at(0.55, 0.25), at(0.75, 0.5))):
        page.mouse.move(x1, y1)
        page.mouse.down()
        page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
        page.mouse.move(x2, y2, steps=4)
        page.mouse.up()
    # A draft on the server: a reload (or another computer) opens the task with it.
    page.keyboard.press("Control+s")
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible(timeout=15_000)
    page.reload()
    expect(page.get_by_text(re.compile("Your draft saved .* is open"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text("2 objects")).to_be_visible()
    page.get_by_role("radio", name=re.compile("^road")).check()
    page.get_by_role("button", name="Polygon", exact=True).click()
    for point in (at(0.3, 0.7), at(0.6, 0.65), at(0.5, 0.85)):
        page.mouse.click(*point)
    page.keyboard.press("Enter")
    screenshot(page, "image-editor")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted: version 1")).to_be_visible(timeout=15_000)

    [version] = org.ok("GET", f"/tasks/{mine['id']}/annotations")["items"]
    assert version["skipped"] is False
    # (In a thread: the browser's driver keeps this one's event loop running.)
    with ThreadPoolExecutor(1) as thread:
        drafts = thread.submit(
            sql_as_tenant,
            org.org_id,
            "SELECT count(*) FROM annotation_drafts WHERE task_id = :t",
            t=uuid.UUID(mine["id"]),
        ).result()
    assert drafts == [(0,)]
    objects = version["payload"]["objects"]
    assert sorted((o["kind"], o["label"]) for o in objects) == [
        ("bbox", "car"),
        ("bbox", "car"),
        ("polygon", "road"),
    ]
    for shape in objects:
        xs = (
            [shape["x"], shape["x"] + shape["width"]]
            if shape["kind"] == "bbox"
            else [p[0] for p in shape["points"]]
        )
        ys = (
            [shape["y"], shape["y"] + shape["height"]]
            if shape["kind"] == "bbox"
            else [p[1] for p in shape["points"]]
        )
        assert all(0 <= x <= 640 for x in xs)
        assert all(0 <= y <= 480 for y in ys)
    # Nothing of the other annotator's task reached this browser: not its id, not its item.
    assert seen
    assert not [s for s in seen if theirs["id"] in s or theirs["data_item_id"] in s]


def test_skip_a_task(
    page: Page, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    annotator = person(org, realms)
    project, (task, _) = image_project(org, review=True)
    org.ok(
        "POST", f"/projects/{project}/members", json={"user_id": str(annotator.user_id), "role": "annotator"}
    )
    assign(org, task, annotator.user_id)
    sign_in(page, webapp_built, org.slug, annotator)
    page.get_by_role("link", name=f"Open task {task['id'][:8]}").click()
    page.get_by_role("button", name="Skip task").click()
    asked = page.get_by_role("group", name="Skip this task?")
    expect(asked).to_be_visible()
    asked.get_by_role("button", name="Keep labeling").click()
    assert org.ok("GET", f"/tasks/{task['id']}/annotations")["items"] == []
    page.get_by_role("button", name="Skip task").click()
    page.get_by_role("group", name="Skip this task?").get_by_role("button", name="Skip it").click()
    expect(page.get_by_text("Skipped: version 1")).to_be_visible(timeout=15_000)
    [version] = org.ok("GET", f"/tasks/{task['id']}/annotations")["items"]
    assert (version["skipped"], version["payload"]["objects"]) == (True, [])
    assert org.ok("GET", f"/tasks/{task['id']}")["stage"] == "review"
