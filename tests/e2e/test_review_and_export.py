"""The round of work in the browser, three people in three browsers: an annotator draws and submits;
the reviewer rejects it with a comment; the annotator reads the comment, fixes and resubmits; the
reviewer approves; the admin exports the project as COCO, follows the job's progress and downloads
the file — and it holds the approved work. No CSP violation along the way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.projects import assign, draw_box, image_project
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import Person, person
from tests.integration.stack import Stack
from tests.support.worker_process import running_worker


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[None]:
    with running_worker(stack, tmp_path / "worker.log"):
        yield


def browser_of(chromium: Browser, base: str, org: Tenant, who: Person) -> Page:
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True).new_page()
    sign_in(page, base, org.slug, who)
    return page


def open_task(page: Page, task_id: str) -> None:
    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("link", name=f"Open task {task_id[:8]}").click()


def test_reject_fix_approve_and_export(
    chromium: Browser,
    org: Tenant,
    realms: RealmService,
    webapp_built: str,
    worker: None,
    csp_violations: None,
    tmp_path: Path,
) -> None:
    admin, annotator, reviewer = person(org, realms, "admin"), person(org, realms), person(org, realms)
    project, (task, _) = image_project(org, review=True)
    org.ok(
        "POST", f"/projects/{project}/members", json={"user_id": str(annotator.user_id), "role": "annotator"}
    )
    org.ok(
        "POST", f"/projects/{project}/members", json={"user_id": str(reviewer.user_id), "role": "reviewer"}
    )
    assign(org, task, annotator.user_id, reviewer.user_id)

    annotating = browser_of(chromium, webapp_built, org, annotator)
    open_task(annotating, task["id"])
    canvas = annotating.get_by_role("application", name=re.compile("^Image "))
    expect(canvas).to_be_visible(timeout=30_000)
    annotating.get_by_role("radio", name=re.compile("^car")).check()
    annotating.get_by_role("button", name="Box", exact=True).click()
    draw_box(annotating, canvas, (0.1, 0.1), (0.3, 0.3))
    annotating.get_by_role("button", name="Submit").click()
    expect(annotating.get_by_role("status").filter(has_text="Submitted")).to_be_visible(timeout=15_000)

    reviewing = browser_of(chromium, webapp_built, org, reviewer)
    open_task(reviewing, task["id"])
    reviewing.get_by_role("textbox", name="Comment").fill("The car is bigger: draw its whole outline.")
    screenshot(reviewing, "review")
    reviewing.get_by_role("button", name="Reject").click()
    expect(reviewing.get_by_role("status").filter(has_text="Rejected")).to_be_visible(timeout=15_000)

    annotating.reload()
    open_task(annotating, task["id"])
    comment = annotating.get_by_role("region", name="Reviewer's comment")
    expect(comment).to_contain_text("The car is bigger")
    screenshot(annotating, "rejected-work")
    canvas = annotating.get_by_role("application", name=re.compile("^Image "))
    annotating.get_by_role("radio", name=re.compile("^car")).check()
    annotating.get_by_role("button", name="Box", exact=True).click()
    draw_box(annotating, canvas, (0.1, 0.1), (0.6, 0.6))
    annotating.get_by_role("button", name="Submit").click()
    expect(annotating.get_by_role("status").filter(has_text="Submitted")).to_be_visible(timeout=15_000)

    reviewing.reload()
    open_task(reviewing, task["id"])
    reviewing.get_by_role("button", name="Approve").click()
    expect(reviewing.get_by_role("status").filter(has_text="Approved")).to_be_visible(timeout=15_000)
    versions = org.ok("GET", f"/tasks/{task['id']}/annotations")["items"]
    decisions = [r["decision"] for r in org.ok("GET", f"/tasks/{task['id']}/reviews")["items"]]
    assert (len(versions), decisions) == (2, ["reject", "approve"])

    exporting = browser_of(chromium, webapp_built, org, admin)
    exporting.get_by_role("link", name="Projects").click()
    exporting.get_by_role("link", name=re.compile("^p-")).first.click()
    exporting.get_by_label("Format").select_option(label="COCO (JSON)")
    exporting.get_by_role("button", name="Start export").click()
    download_link = exporting.get_by_role("link", name=re.compile("^Download "))
    expect(download_link).to_be_visible(timeout=60_000)
    screenshot(exporting, "project-export")
    with exporting.expect_download() as waiting:
        download_link.click()
    saved = tmp_path / "coco.json"
    waiting.value.save_as(saved)
    coco = json.loads(saved.read_text())
    assert [c["name"] for c in coco["categories"]] == ["car", "road"]
    assert len(coco["images"]) == 1
    # The fix started from the rejected work (the editor opens it) and added the whole car.
    widths = sorted(a["bbox"][2] for a in coco["annotations"])
    assert len(widths) == 2
    assert widths[-1] > 300  # 50 % of the 640-pixel image, drawn at 103 % zoom
