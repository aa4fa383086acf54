"""What an organization's Admins do with their trail: search it, verify it now, export it.

Owns the answers of the ``/audit`` routes as schemas (``AuditEventPage``, ``Verification``) and an
export's body in either format — JSON lines that verify offline (``export``) or CSV for people —
read from a session of its own after the request's transaction commits (``web.streaming``). Reads
through ``queries`` and ``verification``; must never build a query, write the log, or hand a route
an ORM row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit_trail.archive import LockedArchive
from enclave.audit_trail.export import checkpoint_line, header_line, record_line
from enclave.audit_trail.queries import TrailQueries, view
from enclave.audit_trail.schemas import AuditEventPage, Verification
from enclave.audit_trail.verification import verify_organization
from enclave.db.repositories.audit_log import TrailFilter
from enclave.web.streaming import LineSource, primed, tenant_lines

ExportFormat = Literal["jsonl", "csv"]
_CSV_COLUMNS = ["seq", "occurred_at", "actor", "action", "target", "outcome", "source", "user_agent",
                "request_id", "details", "hash"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class TrailExport:
    """An export under way: the records it covers (None: the range holds none) and its lines, the
    first of them already read (a fault before any byte is sent still fails the request)."""

    span: tuple[int, int] | None
    lines: AsyncIterator[bytes]


class AuditTrailService:
    """One organization's trail, as its Admins read it through the request's session."""

    def __init__(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        *,
        archive: LockedArchive,
        public_keys: Callable[[], dict[int, str]],
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self._session = session
        self._organization_id = organization_id
        self._queries = TrailQueries(session, organization_id)
        self._archive = archive
        self._public_keys = public_keys  # blocking: Vault's word on the checkpoint key
        self._sessions = sessions  # an export's body reads from a session of its own

    async def search(self, found: TrailFilter, cursor: str | None, limit: int) -> AuditEventPage:
        items, next_cursor = await self._queries.search(found, cursor, limit)
        return AuditEventPage(items, next_cursor)

    async def verify(self) -> Verification:
        """The trail's verdict now: the chain, its signed checkpoints, and the locked copy."""
        public_keys = await anyio.to_thread.run_sync(self._public_keys)
        verdict = await verify_organization(self._session, self._archive, self._organization_id, public_keys)
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

    async def export(
        self, since: dt.datetime | None, until: dt.datetime | None, format: ExportFormat
    ) -> TrailExport:
        """The records whose time lies in [since, until), then those up to the next signed
        checkpoint (with the checkpoints among them, in JSON lines), after the format's header."""
        span = await self._queries.export_range(since, until)
        header = _header(self._organization_id, since, until, format)
        body = tenant_lines(
            self._sessions, self._organization_id, _records(self._organization_id, span, format)
        )
        return TrailExport(span, await primed(body, header))


def _header(
    organization_id: uuid.UUID, since: dt.datetime | None, until: dt.datetime | None, format: ExportFormat
) -> bytes:
    if format == "jsonl":
        return header_line(
            organization_id, since.isoformat() if since else None, until.isoformat() if until else None
        )
    return _csv_row(_CSV_COLUMNS)


def _records(organization_id: uuid.UUID, span: tuple[int, int] | None, format: ExportFormat) -> LineSource:
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
