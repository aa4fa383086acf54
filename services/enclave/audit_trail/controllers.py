"""``/api/v1/audit``: an organization's trail for its Admins — search, verification, export. Thin:
each route names its permission and asks the domain's service (``deps``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.response import Stream

from enclave.audit.actions import AuditAction
from enclave.audit_trail.deps import provide_audit_trail_service
from enclave.audit_trail.schemas import AuditEventPage, Verification
from enclave.audit_trail.service import AuditTrailService, ExportFormat
from enclave.authz.permissions import Permission
from enclave.authz.principal import Principal
from enclave.db.repositories.audit_log import TrailFilter
from enclave.web.audit import AuditNote, audited
from enclave.web.guard import access
from enclave.web.http import Audit, Caller, Cursor, Limit
from enclave.web.responses import problems
from enclave.web.streaming import attachment

Since = Annotated[dt.datetime | None, QueryParameter(name="since", description="From this time (inclusive).")]
Until = Annotated[
    dt.datetime | None, QueryParameter(name="until", description="Up to this time (exclusive).")
]
Filter = Annotated[str | None, QueryParameter(max_length=200)]


#: An export's format, its path below ``/audit``, its operation id and its media type.
_EXPORT_ROUTES: dict[ExportFormat, tuple[str, str, str]] = {
    "jsonl": ("/export", "audit_export", "application/jsonl"),
    "csv": ("/export/csv", "audit_export_csv", "text/csv"),
}


def _export_route(format: ExportFormat, *, summary: str, description: str | None = None) -> HTTPRouteHandler:
    """The route that exports the trail in ``format``: one per format, alike but for these."""
    path, operation_id, media_type = _EXPORT_ROUTES[format]

    @get(
        path,
        operation_id=operation_id,
        summary=summary,
        description=description,
        media_type=media_type,
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_EXPORT) | audited(AuditAction.ORG_AUDIT_EXPORT),
    )
    async def export(
        self: Controller,
        audit_trail_service: NamedDependency[AuditTrailService],
        principal: Caller,
        audit: Audit,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        return await _export(audit_trail_service, principal, audit, since, until, format)

    return export


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]  # noqa: RUF012
    dependencies = {"audit_trail_service": Provide(provide_audit_trail_service, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/events",
        operation_id="audit_event_list",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_READ),
    )
    async def events(
        self,
        audit_trail_service: NamedDependency[AuditTrailService],
        since: Since = None,
        until: Until = None,
        actor: Filter = None,
        action: Filter = None,
        target: Filter = None,
        outcome: Filter = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> AuditEventPage:
        found = TrailFilter(since, until, actor, action, target, outcome)
        return await audit_trail_service.search(found, cursor, limit)

    @get(
        "/verification",
        operation_id="audit_verify",
        summary="Verify the organization's trail now",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_READ),
    )
    async def verification(self, audit_trail_service: NamedDependency[AuditTrailService]) -> Verification:
        return await audit_trail_service.verify()

    export = _export_route(
        "jsonl",
        summary="Export the trail as JSON lines that verify offline",
        description=(
            "The records whose time lies in [since, until), then those up to the next signed checkpoint, "
            "with the checkpoints among them: `enclave-audit verify-export FILE` checks the file with only "
            "the checkpoint key's public half (`enclave-audit public-key`)."
        ),
    )
    export_csv = _export_route(
        "csv", summary="Export the trail as CSV (for people; the JSON lines are what verifies)"
    )


async def _export(
    service: AuditTrailService,
    principal: Principal,
    audit: AuditNote,
    since: dt.datetime | None,
    until: dt.datetime | None,
    format: ExportFormat,
) -> Stream:
    export = await service.export(since, until, format)
    span = export.span
    audit.note(format=format, first=span[0] if span else None, last=span[1] if span else None)
    _, _, media_type = _EXPORT_ROUTES[format]
    return attachment(export.lines, media_type, f"audit-{principal.organization_id}.{format}")
