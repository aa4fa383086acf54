"""The audit service: moves events from the outbox into each organization's hash chain, and signs a
checkpoint every N records or T seconds.

Each batch is one transaction: the events are appended to the log and deleted from the outbox
together, so a crash at any point leaves each event either still in the outbox or in the log, never
both and never neither — exactly once. Drains and appends are serialised by advisory locks, so several
service replicas may run. Runs as its own database role, which may only
read and empty the outbox and add to (never change) the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

import anyio.to_thread
import msgspec
import structlog
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import (
    GENESIS,
    AuditEvent,
    AuditRecord,
    canonical,
    chain_hash,
    checkpoint_message,
    from_builtins,
)
from enclave.audit.signer import CheckpointSigner, SigningUnavailable
from enclave.db.models import AuditCheckpointRow, AuditLogRow, AuditOutboxRow
from enclave.settings import AuditSettings

log = structlog.get_logger(__name__)
_DRAIN_LOCK = int.from_bytes(hashlib.sha256(b"enclave/audit/drain").digest()[:8], "big", signed=True)


def _event_of(row: AuditOutboxRow) -> AuditEvent:
    """The outbox row's event; one that does not parse is recorded as malformed (with a hash of what
    it held) rather than dropped or left to block the trail."""
    try:
        return from_builtins(row.event)
    except (msgspec.ValidationError, TypeError, ValueError):
        raw = msgspec.json.encode(row.event, order="sorted")
        log.error("audit_event_malformed", outbox_id=row.id)  # noqa: TRY400 — no traceback: it holds the data
        return AuditEvent(
            event_id=row.event_id,
            organization_id=row.organization_id,
            occurred_at=row.created_at,
            actor="system",
            action=AuditAction.AUDIT_EVENT_MALFORMED,
            target=f"outbox:{row.id}",
            outcome=Outcome.FAILURE,
            details={"sha256": hashlib.sha256(raw).hexdigest()},
        )


@dataclass
class _Head:
    seq: int
    hash: bytes


def _chain_lock(organization_id: uuid.UUID) -> int:
    digest = hashlib.sha256(b"enclave/audit/chain/" + organization_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AuditService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], signer: CheckpointSigner, settings: AuditSettings
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._settings = settings
        self._last_checkpoint: dict[uuid.UUID, float] = {}

    async def drain_once(self) -> int:
        """Appends one batch from the outbox; returns how many events it moved."""
        async with self._sessions() as session, session.begin():
            # One drainer at a time (replicas take turns): the audit role may not lock outbox rows,
            # which would take UPDATE rights it must not have.
            if not (await session.execute(select(func.pg_try_advisory_xact_lock(_DRAIN_LOCK)))).scalar_one():
                return 0
            rows = (
                (
                    await session.execute(
                        select(AuditOutboxRow).order_by(AuditOutboxRow.id).limit(self._settings.batch_size)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return 0
            by_org: dict[uuid.UUID, list[AuditOutboxRow]] = defaultdict(list)
            for row in rows:
                by_org[row.organization_id].append(row)
            for organization_id, events in by_org.items():
                await self._append(session, organization_id, events)
            await session.execute(delete(AuditOutboxRow).where(AuditOutboxRow.id.in_([r.id for r in rows])))
        return len(rows)

    async def _append(
        self, session: AsyncSession, organization_id: uuid.UUID, rows: list[AuditOutboxRow]
    ) -> None:
        await session.execute(select(func.pg_advisory_xact_lock(_chain_lock(organization_id))))
        head = await self._head(session, organization_id)
        values = []
        for row in rows:
            event = _event_of(row)
            head.seq += 1
            content = canonical(AuditRecord(format=1, seq=head.seq, event=event))
            digest = chain_hash(head.hash, content)
            values.append(
                {
                    "organization_id": organization_id,
                    "seq": head.seq,
                    "event_id": event.event_id,
                    "occurred_at": event.occurred_at,
                    "action": event.action.value,
                    "actor": event.actor,
                    "target": event.target,
                    "outcome": event.outcome.value,
                    "content": content,
                    "prev_hash": head.hash,
                    "hash": digest,
                }
            )
            head.hash = digest
        await session.execute(insert(AuditLogRow), values)

    @staticmethod
    async def _head(session: AsyncSession, organization_id: uuid.UUID) -> _Head:
        last = (
            await session.execute(
                select(AuditLogRow.seq, AuditLogRow.hash)
                .where(AuditLogRow.organization_id == organization_id)
                .order_by(AuditLogRow.seq.desc())
                .limit(1)
            )
        ).first()
        return _Head(0, GENESIS) if last is None else _Head(int(last[0]), bytes(last[1]))

    # --- checkpoints ---------------------------------------------------------------------------

    async def checkpoint_due(self, *, force: bool = False) -> int:
        """Signs a checkpoint for every organization whose chain grew by N records since its last
        one, or grew at all and T seconds passed (or at all, with ``force``). Returns how many."""
        async with self._sessions() as session:
            heads = (
                await session.execute(
                    select(AuditLogRow.organization_id, func.max(AuditLogRow.seq)).group_by(
                        AuditLogRow.organization_id
                    )
                )
            ).all()
            signed = (
                await session.execute(
                    select(AuditCheckpointRow.organization_id, func.max(AuditCheckpointRow.seq)).group_by(
                        AuditCheckpointRow.organization_id
                    )
                )
            ).all()
        last_signed = {org: int(seq) for org, seq in signed}
        made = 0
        now = time.monotonic()
        for organization_id, head_seq in heads:
            behind = int(head_seq) - last_signed.get(organization_id, 0)
            if behind <= 0:
                continue
            waited = now - self._last_checkpoint.setdefault(organization_id, now)
            if (
                force
                or behind >= self._settings.checkpoint_every
                or waited >= self._settings.checkpoint_interval_s
            ):
                try:
                    await self._checkpoint(organization_id, int(head_seq))
                except SigningUnavailable:
                    log.warning("audit_checkpoint_deferred", reason="vault unavailable")
                    return made
                self._last_checkpoint[organization_id] = time.monotonic()
                made += 1
        return made

    async def _checkpoint(self, organization_id: uuid.UUID, seq: int) -> None:
        async with self._sessions() as session, session.begin():
            head_hash = (
                await session.execute(
                    select(AuditLogRow.hash).where(
                        AuditLogRow.organization_id == organization_id, AuditLogRow.seq == seq
                    )
                )
            ).scalar_one()
            message = checkpoint_message(organization_id, seq, bytes(head_hash))
            signature, version = await anyio.to_thread.run_sync(self._signer.sign, message)
            await session.execute(
                insert(AuditCheckpointRow).values(
                    organization_id=organization_id,
                    seq=seq,
                    head_hash=head_hash,
                    signed_at=dt.datetime.now(dt.UTC),
                    signature=signature,
                    key_version=version,
                )
            )

    # --- the loop ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        await anyio.to_thread.run_sync(self._signer.ensure_key)
        while not stop.is_set():
            moved = await self.drain_once()
            await self.checkpoint_due()
            if moved == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._settings.poll_interval_s)
