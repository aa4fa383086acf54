"""Walks the v1 route table: every route that changes anything, and every route that hands out
customer content, names one audit action; and each of them takes the request's ``session``
dependency — itself or through its domain's service provider — whose commit is what writes the event
(a route without it would be audited by name only).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from litestar import Router
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from enclave.api.v1.routes import V1_CONTROLLERS
from enclave.audit.actions import AuditAction
from enclave.web.audit import AUDIT

#: Reads that hand out customer content, and so are audited like changes.
AUDITED_READS = {"item_content_read", "audit_export", "audit_export_csv", "project_export", "export_download"}


def handlers() -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in Router(path="/api/v1", route_handlers=V1_CONTROLLERS).routes:
        assert isinstance(route, HTTPRoute)
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS"}:
                found.append((method, handler))
    return found


class TestAuditedRoutes:
    def test_the_walk_sees_routes(self) -> None:
        assert len(handlers()) >= 40

    def test_every_change_and_every_content_read_names_an_audit_action(self) -> None:
        missing = [
            str(handler.operation_id)
            for method, handler in handlers()
            if (method not in {"GET", "HEAD"} or handler.operation_id in AUDITED_READS)
            and not isinstance(handler.opt.get(AUDIT), AuditAction)
        ]
        assert missing == []

    def test_plain_reads_are_not_audited(self) -> None:
        audited_reads = sorted(
            str(handler.operation_id)
            for method, handler in handlers()
            if method == "GET" and AUDIT in handler.opt
        )
        assert audited_reads == sorted(AUDITED_READS)

    def test_every_audited_route_takes_the_session_that_writes_its_event(self) -> None:
        without = [
            str(handler.operation_id)
            for _, handler in handlers()
            if AUDIT in handler.opt and not takes_session(handler)
        ]
        assert without == []


def takes_session(handler: HTTPRouteHandler) -> bool:
    """Whether ``session`` is among the handler's parameters or those of the providers it depends
    on (its controller's and router's ``dependencies``), however deep."""
    providers: dict[str, Any] = {}
    for layer in handler.ownership_layers:
        providers.update(layer.dependencies or {})
    seen: set[str] = set()

    def needs(fn: Callable[..., Any]) -> bool:
        names = set(inspect.signature(fn).parameters)
        if "session" in names:
            return True
        deeper = [name for name in names if name in providers and name not in seen]
        seen.update(deeper)
        return any(needs(providers[name].dependency) for name in deeper)

    return needs(handler.fn)
