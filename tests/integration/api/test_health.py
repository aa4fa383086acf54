"""The api serves HTTPS only and reports each of the five components as reachable over verified TLS."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.stack import Stack

COMPONENTS = {"postgres", "redis", "minio", "vault", "keycloak"}


class TestHealth:
    def test_live(self, api: httpx.Client) -> None:
        response = api.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_ready_reports_all_five_components_ok(self, api: httpx.Client) -> None:
        response = api.get("/health/ready")
        body = response.json()
        assert response.status_code == 200, body
        assert body["status"] == "ok"
        assert set(body["components"]) == COMPONENTS
        assert all(component["status"] == "ok" for component in body["components"].values()), body

    def test_every_response_carries_a_request_id(self, api: httpx.Client) -> None:
        mine = api.get("/health/live", headers={"X-Request-ID": "req-0123456789"})
        assert mine.headers["x-request-id"] == "req-0123456789"
        unsafe = api.get("/health/live", headers={"X-Request-ID": "evil\tinjected line"})
        assert unsafe.headers["x-request-id"] != "evil\tinjected line"
        assert len(unsafe.headers["x-request-id"]) == 32

    def test_unknown_route_is_a_problem_document(self, api: httpx.Client) -> None:
        response = api.get("/no/such/route")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404

    def test_plain_http_is_refused(self, api_url: str) -> None:
        with pytest.raises(httpx.TransportError):
            httpx.get(api_url.replace("https://", "http://") + "/health/live", timeout=5)

    def test_client_not_trusting_the_ca_is_refused(self, api_url: str, stack: Stack) -> None:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{api_url}/health/live", verify=stack.foreign_tls, timeout=5)
