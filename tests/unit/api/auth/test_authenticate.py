"""The test-only hook exists only in test mode: in production the header authenticates nobody."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import TestClient

from enclave.api.app import create_app
from enclave.api.auth.test_hook import HEADER
from enclave.settings import Settings


@pytest.mark.parametrize("mode", ["production", "test"])
def test_no_credentials_is_401_problem(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("ENCLAVE_API_MODE", mode)
    with TestClient(create_app(Settings())) as client:
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_production_ignores_the_test_header(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCLAVE_API_MODE", "production")
    with TestClient(create_app(Settings())) as client:
        response = client.get("/api/v1/me", headers={HEADER: f"{uuid.uuid4()}/{uuid.uuid4()}"})
    assert response.status_code == 401


@pytest.mark.parametrize("value", ["", "not-a-uuid/also-not", f"{uuid.uuid4()}", "x/y/z"])
def test_malformed_test_header_is_no_claim(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ENCLAVE_API_MODE", "test")
    with TestClient(create_app(Settings())) as client:
        response = client.get("/api/v1/me", headers={HEADER: value})
    assert response.status_code == 401
