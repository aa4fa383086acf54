"""The chained log and its signed checkpoints: every statement on ``audit_log`` and
``audit_checkpoints``, and the catalog read that tells whether the log's guard constraint stands.

Owns the drain's append (one INSERT per batch, as asyncpg's own prepared statement), the reads of an
organization's chain (its head, records, checkpoints, searches and an export's bounds, each naming
the organization: as the api's role, row-level security shows it its own only), the checkpoints the
audit service stores, and the few reads that span organizations, which only the audit service's role
runs (which events are logged already, every chain's head and last checkpoint, who has a trail).
Must never update or delete a log row or a checkpoint: the log is only ever appended to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Row, Select, Uuid, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import AuditCheckpointRow, AuditLogRow
from enclave.db.raw import execute

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]  # any statement shape

#: A record's stored columns, in the order ``AuditLogRepository.records`` returns them (the order of
#: ``StoredRecord``'s fields).
_COLUMNS = (
    AuditLogRow.seq,
    AuditLogRow.event_id,
    AuditLogRow.action,
    AuditLogRow.actor,
    AuditLogRow.target,
    AuditLogRow.outcome,
    AuditLogRow.content,
    AuditLogRow.prev_hash,
    AuditLogRow.hash,
)


class ChainedRecord(Protocol):
    """What the append stores of each record besides its event's time (``StoredRecord`` is one)."""

    @property
    def seq(self) -> int: ...
    @property
    def event_id(self) -> uuid.UUID: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def content(self) -> bytes: ...
    @property
    def prev_hash(self) -> bytes: ...
    @property
    def hash(self) -> bytes: ...


#: One INSERT per batch, its rows as one array per column (unnest): the statement is the same for
#: every batch size, so PostgreSQL plans it once, and no SQL is built per row. Sent as asyncpg's own
#: prepared statement (``db.raw``), as is the outbox's take: SQLAlchemy's processing of ten arrays
#: of a batch's values, and of the rows taken, was a fifth of the service's CPU time per event.
_APPEND = (
    "INSERT INTO audit_log (organization_id, seq, event_id, occurred_at, action, actor, target, outcome,"
    " content, prev_hash, hash)"
    " SELECT $1::uuid, * FROM unnest($2::bigint[], $3::uuid[], $4::timestamptz[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::bytea[])"
)
_KNOWN = text("SELECT event_id FROM audit_log WHERE event_id = ANY(CAST(:ids AS uuid[]))").bindparams(
    bindparam("ids", type_=ARRAY(Uuid()))
)
_NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit = off")
# Built-in functions are pinned (no pg_depend rows); a function of anyone else's that the
# constraint called would have one. ``age(xmin)``: a catalog row written after the constraint's own
# is younger; initdb's rows are as old as can be.
_STANDING = text(
    "SELECT c.oid::text || '/' || c.xmin::text FROM pg_constraint c"
    " WHERE c.conrelid = 'public.audit_log'::regclass AND c.conname = :name"
    " AND c.convalidated"
    " AND pg_get_constraintdef(c.oid) = :definition"
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_constraint'::regclass"
    "   AND d.objid = c.oid AND d.refclassid = 'pg_proc'::regclass)"
    " AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace"
    "   AND age(p.xmin) < age(c.xmin))"
)


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """What a search of the trail asks for: records whose search columns equal the values given (None
    matches any) and that occurred in [since, until)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None


class AuditLogRepository:
    """One organization's chain and checkpoints: every statement names ``organization_id``."""

    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    # --- appending (the audit service) ---------------------------------------------------------

    async def head(self) -> tuple[int, bytes] | None:
        """The sequence number and hash of the chain's last record; None for an empty chain."""
        last = (
            await self.session.execute(
                select(AuditLogRow.seq, AuditLogRow.hash)
                .where(AuditLogRow.organization_id == self.organization_id)
                .order_by(AuditLogRow.seq.desc())
                .limit(1)
            )
        ).first()
        return None if last is None else (int(last[0]), bytes(last[1]))

    async def append(self, records: Sequence[ChainedRecord], occurred_at: list[dt.datetime]) -> None:
        """Appends the records (and each one's event time), in one statement. A record whose
        (organization, seq) is taken fails it whole: ``asyncpg.UniqueViolationError``, unwrapped."""
        await execute(
            self.session,
            _APPEND,
            self.organization_id,
            [r.seq for r in records],
            [r.event_id for r in records],
            occurred_at,
            [r.action for r in records],
            [r.actor for r in records],
            [r.target for r in records],
            [r.outcome for r in records],
            [r.content for r in records],
            [r.prev_hash for r in records],
            [r.hash for r in records],
        )

    async def last_signed(self) -> int:
        """The sequence number of the last signed checkpoint (0: none)."""
        last = await self.session.execute(
            select(func.max(AuditCheckpointRow.seq)).where(
                AuditCheckpointRow.organization_id == self.organization_id
            )
        )
        return int(last.scalar_one_or_none() or 0)

    async def add_checkpoint(
        self, seq: int, head_hash: bytes, signature: str, key_version: int, signed_at: dt.datetime
    ) -> None:
        """Stores a signed checkpoint; one of the same head already stored stands (another replica
        signed it: the same record, key and message, so the same checkpoint), and this is no error."""
        await self.session.execute(
            pg_insert(AuditCheckpointRow)
            .on_conflict_do_nothing()
            .values(
                organization_id=self.organization_id,
                seq=seq,
                head_hash=head_hash,
                signed_at=signed_at,
                signature=signature,
                key_version=key_version,
            )
        )

    # --- reading ---------------------------------------------------------------------------------

    async def records(
        self, first: int | None = None, last: int | None = None, *, limit: int | None = None
    ) -> Sequence[Row[int, uuid.UUID, str, str, str, str, bytes, bytes, bytes]]:
        """Records ``first..last`` (either end open when None), in order, at most ``limit``: each
        (seq, event_id, action, actor, target, outcome, content, prev_hash, hash)."""
        statement = select(*_COLUMNS).where(AuditLogRow.organization_id == self.organization_id)
        if first is not None:
            statement = statement.where(AuditLogRow.seq >= first)
        if last is not None:
            statement = statement.where(AuditLogRow.seq <= last)
        statement = statement.order_by(AuditLogRow.seq)
        if limit is not None:
            statement = statement.limit(limit)
        return (await self.session.execute(statement)).all()

    async def checkpoints(
        self, first: int | None = None, last: int | None = None
    ) -> Sequence[AuditCheckpointRow]:
        """Checkpoints of records ``first..last`` (either end open when None), in order."""
        statement = select(AuditCheckpointRow).where(
            AuditCheckpointRow.organization_id == self.organization_id
        )
        if first is not None:
            statement = statement.where(AuditCheckpointRow.seq >= first)
        if last is not None:
            statement = statement.where(AuditCheckpointRow.seq <= last)
        return (await self.session.execute(statement.order_by(AuditCheckpointRow.seq))).scalars().all()

    async def search(self, found: TrailFilter, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        """(seq, content) of up to ``limit`` records after ``after`` that ``found`` matches, in order."""
        statement = select(AuditLogRow.seq, AuditLogRow.content).where(
            AuditLogRow.organization_id == self.organization_id
        )
        for column, value in (
            (AuditLogRow.actor, found.actor),
            (AuditLogRow.action, found.action),
            (AuditLogRow.target, found.target),
            (AuditLogRow.outcome, found.outcome),
        ):
            if value is not None:
                statement = statement.where(column == value)
        statement = _in_time(statement, found.since, found.until)
        if after is not None:
            statement = statement.where(AuditLogRow.seq > after)
        rows = (await self.session.execute(statement.order_by(AuditLogRow.seq).limit(limit))).all()
        return [(int(seq), bytes(content)) for seq, content in rows]

    async def bounds(self, since: dt.datetime | None, until: dt.datetime | None) -> tuple[int, int] | None:
        """The first and last sequence numbers of the records that occurred in [since, until)."""
        statement = select(func.min(AuditLogRow.seq), func.max(AuditLogRow.seq)).where(
            AuditLogRow.organization_id == self.organization_id
        )
        first, last = (await self.session.execute(_in_time(statement, since, until))).one()
        return None if first is None else (int(first), int(last))

    async def first_checkpoint_from(self, seq: int) -> int | None:
        """The first signed checkpoint at or after record ``seq``."""
        found = await self.session.execute(
            select(func.min(AuditCheckpointRow.seq)).where(
                AuditCheckpointRow.organization_id == self.organization_id, AuditCheckpointRow.seq >= seq
            )
        )
        covering = found.scalar_one_or_none()
        return None if covering is None else int(covering)


def _in_time(statement: S, since: dt.datetime | None, until: dt.datetime | None) -> S:
    if since is not None:
        statement = statement.where(AuditLogRow.occurred_at >= since)
    if until is not None:
        statement = statement.where(AuditLogRow.occurred_at < until)
    return statement


# --- across organizations: the audit service's role only -------------------------------------------


async def commit_without_flush_wait(session: AsyncSession) -> None:
    """The transaction's commit will not wait for the disk (``synchronous_commit = off``)."""
    await session.execute(_NO_FLUSH_WAIT)


async def logged_event_ids(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``event_ids`` that are in the log already (of any organization: an event id is unique)."""
    found = await session.execute(_KNOWN, {"ids": list(event_ids)})
    return set(found.scalars())


async def heads_and_signed(session: AsyncSession) -> list[tuple[uuid.UUID, int, int]]:
    """(organization, head seq, seq of its last checkpoint or 0) of every chain, in one query."""
    heads = (
        select(AuditLogRow.organization_id, func.max(AuditLogRow.seq).label("head"))
        .group_by(AuditLogRow.organization_id)
        .subquery()
    )
    signed = (
        select(AuditCheckpointRow.organization_id, func.max(AuditCheckpointRow.seq).label("signed"))
        .group_by(AuditCheckpointRow.organization_id)
        .subquery()
    )
    statement = select(heads.c.organization_id, heads.c.head, func.coalesce(signed.c.signed, 0)).join(
        signed, signed.c.organization_id == heads.c.organization_id, isouter=True
    )
    found = (await session.execute(statement)).all()
    return [(organization_id, int(head), int(done)) for organization_id, head, done in cast(Any, found)]


async def organizations_with_trail(session: AsyncSession) -> set[uuid.UUID]:
    """Every organization with at least one record in the log."""
    return set((await session.execute(select(AuditLogRow.organization_id).distinct())).scalars())


async def standing_constraint(session: AsyncSession, name: str, definition: str) -> str | None:
    """The identity (catalog row id and version) of the log's CHECK constraint ``name`` if it is
    validated, prints back as ``definition``, calls no function but PostgreSQL's built-ins, and none
    of those was created or replaced after it; None otherwise."""
    standing = await session.execute(_STANDING, {"definition": definition, "name": name})
    return standing.scalar_one_or_none()
