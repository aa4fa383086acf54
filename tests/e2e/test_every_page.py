"""Every page of the app, as an organization's admin sees it, in the real browser: each one loads its
data and shows its heading (never a blank page or an unexplained error), a screenshot of each is
written, and no page breaks the Content Security Policy."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from enclave.identity.realms import RealmService
from tests.e2e.conftest import screenshot
from tests.e2e.projects import image_project
from tests.e2e.signin import sign_in
from tests.integration.domain.world import Tenant
from tests.integration.identity.signin import person

#: (navigation link, the page's heading, its screenshot's name)
PAGES = [
    ("My tasks", "My tasks", "my-tasks-admin"),
    ("Projects", "Projects", "projects"),
    ("Datasets", "Datasets", "datasets"),
    ("Ontologies", "Ontologies", "ontologies"),
    ("Members", "Members", "members-list"),
    ("Organization", "Organization", "organization"),
    ("Audit trail", "Audit trail", "audit-trail"),
    ("API keys", "API keys", "api-keys"),
]


def test_every_page_loads_and_is_shown(
    page: Page, org: Tenant, realms: RealmService, webapp_built: str, csp_violations: None
) -> None:
    admin = person(org, realms, "admin")
    project, _ = image_project(org)
    sign_in(page, webapp_built, org.slug, admin)
    for link, heading, name in PAGES:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=heading, exact=True, level=1)).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
        if link == "Organization":  # the realm has no company IdP yet, and says so
            expect(page.get_by_text("No identity provider is connected")).to_be_visible()
        screenshot(page, name)

    page.goto(f"{webapp_built}/app/projects/{project}")
    expect(page.get_by_role("heading", name=re.compile("^p-"), level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Progress")).to_contain_text("2")
    screenshot(page, "project")
    page.get_by_role("link", name="Project settings").click()
    expect(page.get_by_role("heading", name=re.compile("^Settings of "), level=1)).to_be_visible()
    attached = page.get_by_role("list", name="Attached datasets")
    expect(attached.get_by_role("listitem")).to_have_count(1)
    expect(attached).to_contain_text("(images)")
    screenshot(page, "project-settings")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets", exact=True).click()
    page.get_by_role("link", name=re.compile("^d-")).first.click()
    expect(page.get_by_role("img", name="street.png")).to_be_visible(timeout=15_000)  # a thumbnail
    screenshot(page, "dataset")
    expect(page.get_by_role("alert")).to_have_count(0)
