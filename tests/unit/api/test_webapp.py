"""The web app's files and the headers on every response, on a bare application (no services)."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar, Response, get
from litestar.testing import TestClient

from enclave.api.csp_reports import _origin, _reports
from enclave.api.errors import EXCEPTION_HANDLERS
from enclave.api.security_headers import CONTENT_SECURITY_POLICY, security_headers_middleware
from enclave.api.webapp import webapp_router


@get("/plain")
async def plain() -> dict[str, str]:
    return {}


def client(build: Path | None) -> TestClient[Litestar]:
    app = Litestar(
        route_handlers=[webapp_router(build), plain],
        middleware=[security_headers_middleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    return TestClient(app)


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>'
    )
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not served")
    return tmp_path


class TestWebApp:
    def test_every_app_route_answers_the_page_uncached(self, build: Path) -> None:
        with client(build) as c:
            for path in ("/app", "/app/", "/app/tasks/123"):
                response = c.get(path)
                assert response.status_code == 200
                assert "/assets/app-1a2b.js" in response.text
                assert response.headers["cache-control"] == "no-store"

    def test_hashed_files_are_cached_for_good(self, build: Path) -> None:
        with client(build) as c:
            response = c.get("/assets/app-1a2b.js")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert "immutable" in response.headers["cache-control"]

    @pytest.mark.parametrize(
        "path", ["/assets/../secret.txt", "/assets/secret.txt", "/assets/.hidden.js", "/assets/nope.js"]
    )
    def test_nothing_else_is_served(self, build: Path, path: str) -> None:
        with client(build) as c:
            response = c.get(path)
        assert response.status_code == 404
        assert "not served" not in response.text

    def test_without_a_build_the_app_is_a_clear_404(self) -> None:
        with client(None) as c:
            response = c.get("/app/")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "not built" in response.json()["detail"]

    def test_the_root_sends_a_browser_to_the_app(self, build: Path) -> None:
        with client(build) as c:
            response = c.get("/", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/app/")


class TestSecurityHeaders:
    def test_every_response_carries_them(self, build: Path) -> None:
        with client(build) as c:
            for path in ("/app/", "/assets/app-1a2b.js", "/assets/nope.js", "/plain"):
                headers = c.get(path).headers
                assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
                assert headers["strict-transport-security"].startswith("max-age=")
                assert headers["x-content-type-options"] == "nosniff"
                assert headers["referrer-policy"] == "no-referrer"
                assert "camera=()" in headers["permissions-policy"]

    def test_the_policy_allows_only_this_origin_and_nothing_inline(self) -> None:
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ):
            assert directive in CONTENT_SECURITY_POLICY

    def test_a_route_s_stricter_policy_stands(self) -> None:
        @get("/sandboxed")
        async def sandboxed() -> Response[bytes]:
            return Response(b"x", headers={"Content-Security-Policy": "default-src 'none'; sandbox"})

        app = Litestar(route_handlers=[sandboxed], middleware=[security_headers_middleware])
        with TestClient(app) as c:
            assert c.get("/sandboxed").headers["content-security-policy"] == "default-src 'none'; sandbox"


class TestCspReports:
    def test_both_report_formats_are_read(self) -> None:
        legacy = {"csp-report": {"effective-directive": "style-src-attr", "blocked-uri": "inline"}}
        modern = [
            {
                "type": "csp-violation",
                "body": {"effectiveDirective": "script-src", "blockedURL": "https://cdn.example/x.js?id=1"},
            }
        ]
        assert _reports(legacy) == [legacy["csp-report"]]
        assert _reports(modern) == [modern[0]["body"]]
        assert _reports({"nothing": 1}) == []

    def test_only_the_blocked_origin_is_logged(self) -> None:
        assert _origin("https://cdn.example/path/x.js?token=secret") == "https://cdn.example"
        assert _origin("inline") == "inline"
