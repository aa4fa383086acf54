"""The audit outbox and the sources that feed it: every statement on ``audit_outbox`` and
``audit_sources``, and what the audit service reads to file a Keycloak realm's events.

Owns the insert every changing request runs (as the api's role, which may only INSERT here: nothing
is read back), the drain's take (as the audit service's role, which may read and empty the outbox,
never update it), pulled events offered once, and each outside source's cursor and lock. Each
statement names the organization its rows belong to, and the raw ones are fixed SQL with ``$n``
parameters (``db.raw``). Must never update or reorder an outbox row, nor read the outbox as the api.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import typing
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import AuditOutboxRow, AuditSourceRow, Organization, OrganizationDirectory, User
from enclave.db.raw import execute, fetch_rows

_OUTBOX = typing.cast(Table, AuditOutboxRow.__table__)
_SOURCES = typing.cast(Table, AuditSourceRow.__table__)

# --- the api's side: one row per action --------------------------------------------------------

#: Every changing request runs it (``db.raw``).
_INSERT = "INSERT INTO audit_outbox (event_id, organization_id, event) VALUES ($1, $2, $3::jsonb)"


async def add_event(
    session: AsyncSession, event_id: uuid.UUID, organization_id: uuid.UUID, event: str
) -> None:
    """Adds one event (``event``: its JSON) to the outbox, in the session's transaction."""
    # The id comes from the column's identity in the INSERT itself; nothing is fetched back (the
    # api may not SELECT the outbox) or asked of the sequence first (a round trip).
    await execute(session, _INSERT, event_id, organization_id, event)


# --- the audit service's side: the drain's take ------------------------------------------------

#: The one advisory lock that serialises drains (replicas take turns).
DRAIN_LOCK = int.from_bytes(hashlib.sha256(b"enclave/audit/drain").digest()[:8], "big", signed=True)
#: Takes a batch out of the outbox, only while holding the drain lock (one drainer at a time; the
#: lock is tried once, as an init plan, in the same round trip). Sent as asyncpg's own prepared
#: statement (``db.raw``): SQLAlchemy's processing of the rows taken was a large part of the audit
#: service's CPU time per event.
_TAKE = (
    "DELETE FROM audit_outbox WHERE (SELECT pg_try_advisory_xact_lock($1))"
    " AND id IN (SELECT id FROM audit_outbox ORDER BY id LIMIT $2)"
    " RETURNING id, event_id, organization_id, event::text, created_at"
)


@dataclass(frozen=True, slots=True)
class Outboxed:
    """An event taken out of the outbox, as stored."""

    id: int
    event_id: uuid.UUID
    organization_id: uuid.UUID
    event: str  # the event's JSON, as PostgreSQL gives it back
    created_at: dt.datetime


async def take_batch(session: AsyncSession, limit: int) -> list[Outboxed]:
    """Deletes up to ``limit`` of the oldest events from the outbox and returns them, in order of
    their outbox id; none if another drainer holds the drain lock. Must run in the transaction that
    appends them: if anything fails before its commit, they stay in the outbox."""
    taken = await fetch_rows(session, _TAKE, DRAIN_LOCK, limit)
    return sorted((Outboxed(*row) for row in taken), key=lambda row: row.id)


# --- outside sources: Keycloak's events --------------------------------------------------------


def _source_lock(source: str) -> int:
    digest = hashlib.sha256(b"enclave/audit/source/" + source.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def try_lock_source(session: AsyncSession, source: str) -> bool:
    """Tries ``source``'s advisory lock for the transaction: False if another replica is pulling it."""
    locked = await session.execute(select(func.pg_try_advisory_xact_lock(_source_lock(source))))
    return bool(locked.scalar_one())


async def readable_organizations(session: AsyncSession, slugs: Iterable[str]) -> list[tuple[str, uuid.UUID]]:
    """(slug, organization) of each of ``slugs`` whose organization is not shredded, by slug."""
    found = await session.execute(
        select(OrganizationDirectory.slug, OrganizationDirectory.organization_id)
        .join(Organization, Organization.id == OrganizationDirectory.organization_id)
        .where(OrganizationDirectory.slug.in_(sorted(slugs)), Organization.shredded_at.is_(None))
        .order_by(OrganizationDirectory.slug)
    )
    return [(str(slug), organization_id) for slug, organization_id in found.all()]


async def source_cursor(session: AsyncSession, organization_id: uuid.UUID, source: str) -> int | None:
    """How far ``source`` has been pulled for the organization (epoch milliseconds, its clock)."""
    found = await session.execute(
        select(AuditSourceRow.cursor_ms).where(
            AuditSourceRow.organization_id == organization_id, AuditSourceRow.source == source
        )
    )
    return found.scalar_one_or_none()


async def advance_cursor(
    session: AsyncSession, organization_id: uuid.UUID, source: str, latest_ms: int
) -> None:
    """Moves the source's cursor to ``latest_ms``, never back (another replica may have gone further)."""
    insert = pg_insert(_SOURCES).values(organization_id=organization_id, source=source, cursor_ms=latest_ms)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[_SOURCES.c.organization_id, _SOURCES.c.source],
            set_={
                "cursor_ms": func.greatest(_SOURCES.c.cursor_ms, insert.excluded.cursor_ms),
                "updated_at": func.now(),
            },
        )
    )


async def members_by_subject(
    session: AsyncSession, organization_id: uuid.UUID, subjects: set[str]
) -> dict[str, uuid.UUID]:
    """Keycloak user id (a user's ``subject``) → the organization's user it signs in."""
    if not subjects:
        return {}
    found = await session.execute(
        select(User.subject, User.id).where(
            User.organization_id == organization_id, User.subject.in_(sorted(subjects))
        )
    )
    return {str(subject): user_id for subject, user_id in found.all()}


@dataclass(frozen=True, slots=True)
class Offered:
    """An event from an outside source, for the outbox."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    event: dict[str, Any]  # the event as JSON builtins


async def offer_events(session: AsyncSession, events: Sequence[Offered]) -> int:
    """Adds the events to the outbox in one statement, but none that is there already; returns
    how many it added."""
    if not events:
        return 0
    result = await session.execute(
        pg_insert(_OUTBOX)
        .values(
            [{"event_id": e.event_id, "organization_id": e.organization_id, "event": e.event} for e in events]
        )
        .on_conflict_do_nothing(index_elements=[_OUTBOX.c.event_id])
    )
    return int(getattr(result, "rowcount", 0) or 0)
