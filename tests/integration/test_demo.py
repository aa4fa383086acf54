"""The first-run demo of ``make up``: made once, its one-time passwords work, a rerun changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest

from enclave.demo import ensure_demo, people
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings, get_settings
from tests.integration.stack import Stack
from tests.support.keycloak_login import login_via_form


@pytest.fixture
def demo_slug(api_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ENCLAVE_API_PUBLIC_URL", api_url)  # the realm must send browsers to this api
    get_settings.cache_clear()
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    yield slug
    get_settings.cache_clear()
    RealmService(admin_from_settings(KeycloakSettings(), TLSSettings())).delete_realm(slug)


def test_demo_is_made_once_and_its_passwords_sign_in(demo_slug: str, api_url: str, stack: Stack) -> None:
    passwords = asyncio.run(ensure_demo(demo_slug))
    assert passwords is not None
    assert set(passwords) == {person.email for person in people(demo_slug)}
    assert asyncio.run(ensure_demo(demo_slug)) is None  # shown once; a rerun makes nothing new

    annotator = people(demo_slug)[1].email
    with (
        httpx.Client(base_url=api_url, verify=stack.tls) as browser,
        httpx.Client(verify=stack.tls) as keycloak,
    ):
        start = browser.get("/auth/login", params={"org": demo_slug})
        new_password = f"my own passphrase {uuid.uuid4().hex[:6]}"
        result = login_via_form(
            keycloak, start.headers["location"], annotator, passwords[annotator], new_password=new_password
        )
        assert browser.get(result.location).status_code == 303
        me = browser.get("/api/v1/me").json()
        assert (me["email"], me["role"]) == (annotator, "member")
        projects = browser.get("/api/v1/projects").json()["items"]
        assert [p["name"] for p in projects] == ["Nodule detection"]
        tasks = browser.get(f"/api/v1/projects/{projects[0]['id']}/tasks").json()["items"]
        assert tasks == []  # an annotator sees only work assigned to them
        csrf = browser.get("/auth/session").json()["csrf_token"]
        taken = browser.post(
            f"/api/v1/projects/{projects[0]['id']}/tasks/next", json={}, headers={"X-CSRF-Token": csrf}
        )
        assert taken.status_code == 201, taken.text
        assert taken.json()["task"]["stage"] == "annotate"
        assert len(browser.get(f"/api/v1/projects/{projects[0]['id']}/tasks").json()["items"]) == 1
