"""Step-up: which operations ask a browser session for a fresh sign-in, and what counts as fresh."""

from __future__ import annotations

from litestar import Router
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from enclave.api.v1.routes import V1_CONTROLLERS
from enclave.web.guard import STEP_UP_OPERATIONS, SignIn

NOW = 1_800_000_000.0


def operation_ids() -> set[str]:
    found: set[str] = set()
    for route in Router(path="/api/v1", route_handlers=V1_CONTROLLERS).routes:
        assert isinstance(route, HTTPRoute)
        for handler in route.route_handlers:
            assert isinstance(handler, HTTPRouteHandler)
            found.add(str(handler.operation_id))
    return found


class TestStepUpOperations:
    def test_each_names_a_route(self) -> None:
        # A renamed route would otherwise silently lose its step-up.
        assert sorted(STEP_UP_OPERATIONS - operation_ids()) == []

    def test_rotation_termination_key_creation_and_exports(self) -> None:
        assert {
            "organization_key_rotate",
            "organization_terminate",
            "api_key_create",
            "export_create",
            "project_export",
        } <= STEP_UP_OPERATIONS


class TestSignIn:
    def test_fresh_within_the_maximum_age(self) -> None:
        assert SignIn(NOW - 300, second_factor=False).fresh(300, second_factor_required=False, now=NOW)

    def test_stale_after_it(self) -> None:
        assert not SignIn(NOW - 301, second_factor=True).fresh(300, second_factor_required=True, now=NOW)

    def test_without_a_required_second_factor(self) -> None:
        assert not SignIn(NOW, second_factor=False).fresh(300, second_factor_required=True, now=NOW)

    def test_a_sign_in_from_the_future_is_not_fresh(self) -> None:
        # A forged or skewed auth_time must not buy a session an endless step-up.
        assert not SignIn(NOW + 60, second_factor=True).fresh(300, second_factor_required=True, now=NOW)
