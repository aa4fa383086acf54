"""Browser-test fixtures: the real api serving the built web app, a tenant with its own Keycloak
realm, and Debian's Chromium (headless, through playwright) trusting the stack's CA. Every page a
test visits is also written to ``tests/e2e/screenshots/`` (not committed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from enclave.api.csp_reports import COUNTER
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support import evidence
from tests.support.api_keys import redis_client
from tests.support.browser import CHROMIUM, browser_home, chromium_env

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def webapp_built(api_url: str, stack: Stack) -> str:
    """The api serves the web app: `make test` builds it and names the build (ENCLAVE_API_WEBAPP_DIR)."""
    built = os.environ.get("ENCLAVE_API_WEBAPP_DIR")
    assert built, (
        "run the browser tests through `make test` (it builds the web app), or set ENCLAVE_API_WEBAPP_DIR"
    )
    page = httpx.get(f"{api_url}/app/", verify=stack.tls, timeout=30)
    assert page.status_code == 200, page.text
    return api_url


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Iterator[Browser]:
    # Per module, not per session: playwright's sync API keeps an event loop running in this thread
    # while it lives, and the suites that run after this one start their own.
    home = browser_home(tmp_path_factory.mktemp("browser-home"), stack.ca_file)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, env=chromium_env(home)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def csp_violations(stack: Stack) -> Iterator[None]:
    """Clears the api's count of CSP violation reports before the test and asserts it stayed at zero."""
    with redis_client(stack) as client:
        client.delete(COUNTER)
    yield
    with redis_client(stack) as client:
        reported = int(client.get(COUNTER) or 0)
    evidence.add("CSP violations", reported)
    assert reported == 0, f"the browser reported {reported} Content Security Policy violations"


@pytest.fixture(scope="module")
def realms(stack: Stack) -> RealmService:
    return RealmService(admin_from_settings(KeycloakSettings(), TLSSettings()))


@pytest.fixture
def org(api: httpx.Client, webapp_built: str, realms: RealmService) -> Iterator[Tenant]:
    # Provisioning runs its own event loop; playwright's sync API keeps one running in this thread.
    with ThreadPoolExecutor(1) as thread:
        tenant = thread.submit(Tenant.create, api).result()
    realms.ensure_realm(realm_spec_for(tenant.slug, f"Org {tenant.slug}", webapp_built))
    yield tenant
    realms.delete_realm(tenant.slug)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
