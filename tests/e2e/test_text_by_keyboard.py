"""A text labeled without the mouse: the annotator tabs to their task, selects a name with Shift and
the arrow keys, gives it a label with its number key, answers the classification with Space, and
submits with Enter — and the api stores exactly that span and answer."""

from __future__ import annotations

import json
import re
import uuid

from playwright.sync_api import Locator, Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.projects import assign
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import person

TEXT = "Bob met Carol at the Louvre in Paris ."
ONTOLOGY = {
    "objects": [{"name": "PER", "kind": "span"}, {"name": "LOC", "kind": "span"}],
    "classifications": [{"name": "sentiment", "options": ["positive", "negative"]}],
}


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Presses Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_label_a_text_with_the_keyboard_alone(
    page: Page, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    annotator = person(org, realms)
    suffix = uuid.uuid4().hex[:6]
    ontology = org.ok("POST", "/ontologies", json={"name": f"o-{suffix}", "definition": ONTOLOGY})
    project = org.ok(
        "POST",
        "/projects",
        json={"name": f"p-{suffix}", "ontology_id": ontology["id"], "review_required": False},
    )
    dataset = org.ok("POST", "/datasets", json={"name": f"d-{suffix}", "kind": "text"})
    line = json.dumps({"name": "sentence.txt", "text": TEXT}) + "\n"
    org.ok(
        "POST",
        f"/datasets/{dataset['id']}/texts",
        content=line.encode(),
        headers={"Content-Type": "application/jsonl"},
    )
    org.ok("POST", f"/projects/{project['id']}/datasets", json={"dataset_id": dataset["id"]})
    org.ok("POST", f"/projects/{project['id']}/tasks", json={})
    org.ok(
        "POST",
        f"/projects/{project['id']}/members",
        json={"user_id": str(annotator.user_id), "role": "annotator"},
    )
    [task] = org.ok("GET", f"/projects/{project['id']}/tasks")["items"]
    assign(org, task, annotator.user_id)

    sign_in(page, webapp_built, org.slug, annotator)
    link = page.get_by_role("link", name=f"Open task {task['id'][:8]}")
    tab_to(page, link)
    page.keyboard.press("Enter")
    text = page.get_by_role("textbox", name=re.compile("Text|sentence", re.I))
    expect(text).to_contain_text("Bob met Carol", timeout=30_000)
    tab_to(page, text)
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")  # PER
    expect(page.get_by_role("heading", name="Spans (1)")).to_be_visible()
    tab_to(page, page.get_by_role("radio", name="positive"))
    page.keyboard.press("Space")
    screenshot(page, "text-editor")
    tab_to(page, page.get_by_role("button", name="Submit", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Submitted")).to_be_visible(timeout=15_000)

    [version] = org.ok("GET", f"/tasks/{task['id']}/annotations")["items"]
    assert version["payload"]["objects"] == [{"kind": "span", "label": "PER", "start": 0, "end": 3}]
    assert version["payload"]["classifications"] == {"sentiment": ["positive"]}
