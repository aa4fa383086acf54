"""``/api/v1/audit``: an organization's trail for its Admins — search, verification, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction
from enclave.audit_trail.archive import LockedArchive
from enclave.audit_trail.export import checkpoint_line, header_line, record_line
from enclave.audit_trail.queries import TrailQueries, view
from enclave.audit_trail.schemas import AuditEventPage, Verification
from enclave.audit_trail.verification import verify_organization
from enclave.authz.permissions import Permission
from enclave.authz.principal import Principal
from enclave.settings import Settings
from enclave.web.audit import AuditNote, audited
from enclave.web.guard import access
from enclave.web.http import Audit, Caller, Cursor, Limit, Session
from enclave.web.responses import problems
from enclave.web.streaming import LineSource, attachment, primed, tenant_lines

Since = Annotated[dt.datetime | None, QueryParameter(name="since", description="From this time (inclusive).")]
Until = Annotated[
    dt.datetime | None, QueryParameter(name="until", description="Up to this time (exclusive).")
]
Filter = Annotated[str | None, QueryParameter(max_length=200)]


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]  # noqa: RUF012

    @get(
        "/events",
        operation_id="audit_event_list",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_READ),
    )
    async def events(
        self,
        session: Session,
        principal: Caller,
        since: Since = None,
        until: Until = None,
        actor: Filter = None,
        action: Filter = None,
        target: Filter = None,
        outcome: Filter = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> AuditEventPage:
        items, next_cursor = await TrailQueries(session, principal.organization_id).search(
            since=since, until=until, actor=actor, action=action, target=target, outcome=outcome,
            cursor=cursor, limit=limit,
        )  # fmt: skip
        return AuditEventPage(items, next_cursor)

    @get(
        "/verification",
        operation_id="audit_verify",
        summary="Verify the organization's trail now",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_READ),
    )
    async def verification(
        self, request: Request[Any, Any, Any], session: Session, principal: Caller
    ) -> Verification:
        settings: Settings = request.app.state.settings
        keys = request.app.state.keyring.kms
        public_keys = await anyio.to_thread.run_sync(keys.signing_public_keys, settings.audit.signing_key)
        archive: LockedArchive = request.app.state.audit_archive
        verdict = await verify_organization(session, archive, principal.organization_id, public_keys)
        return Verification(
            ok=verdict.ok,
            records=verdict.records,
            signed_checkpoints=verdict.checkpoints,
            covered_through=verdict.covered,
            locked_segments=verdict.locked_segments,
            problem=verdict.problem,
            first_bad_record=verdict.bad_seq,
            search_columns_guarded=verdict.copies_guarded,
        )

    @get(
        "/export",
        operation_id="audit_export",
        summary="Export the trail as JSON lines that verify offline",
        description=(
            "The records whose time lies in [since, until), then those up to the next signed checkpoint, "
            "with the checkpoints among them: `enclave-audit verify-export FILE` checks the file with only "
            "the checkpoint key's public half (`enclave-audit public-key`)."
        ),
        media_type="application/jsonl",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_EXPORT) | audited(AuditAction.ORG_AUDIT_EXPORT),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        audit: Audit,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        return await _export(request, session, principal, audit, since, until, "jsonl")

    @get(
        "/export/csv",
        operation_id="audit_export_csv",
        summary="Export the trail as CSV (for people; the JSON lines are what verifies)",
        media_type="text/csv",
        responses=problems(),
        opt=access(Permission.ORG_AUDIT_EXPORT) | audited(AuditAction.ORG_AUDIT_EXPORT),
    )
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        audit: Audit,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        return await _export(request, session, principal, audit, since, until, "csv")


async def _export(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    principal: Principal,
    audit: AuditNote,
    since: dt.datetime | None,
    until: dt.datetime | None,
    format: str,
) -> Stream:
    span = await TrailQueries(session, principal.organization_id).export_range(since, until)
    audit.note(format=format, first=span[0] if span else None, last=span[1] if span else None)
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    media_type = "application/jsonl" if format == "jsonl" else "text/csv"
    header = _header(principal.organization_id, since, until, format)
    body = tenant_lines(factory, principal.organization_id, _records(principal.organization_id, span, format))
    lines = await primed(body, header)
    return attachment(lines, media_type, f"audit-{principal.organization_id}.{format}")


def _header(
    organization_id: uuid.UUID, since: dt.datetime | None, until: dt.datetime | None, format: str
) -> bytes:
    if format == "jsonl":
        return header_line(
            organization_id, since.isoformat() if since else None, until.isoformat() if until else None
        )
    return _csv_row(["seq", "occurred_at", "actor", "action", "target", "outcome", "source", "user_agent",
                     "request_id", "details", "hash"])  # fmt: skip


def _records(organization_id: uuid.UUID, span: tuple[int, int] | None, format: str) -> LineSource:
    async def lines(session: AsyncSession) -> AsyncIterator[bytes]:
        if span is None:
            return
        queries = TrailQueries(session, organization_id)
        checkpoints = await queries.checkpoints(*span)
        async for record in queries.records(*span):
            if format == "jsonl":
                yield record_line(record)
            else:
                event = view(record.seq, record.content)
                yield _csv_row([
                    str(event.seq), event.occurred_at.isoformat(), event.actor, event.action, event.target,
                    event.outcome, event.source or "", event.user_agent or "", event.request_id or "",
                    msgspec.json.encode(event.details).decode(), record.hash.hex(),
                ])  # fmt: skip
        if format == "jsonl":
            for checkpoint in checkpoints:
                yield checkpoint_line(checkpoint)

    return lines


def _csv_row(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().encode()
