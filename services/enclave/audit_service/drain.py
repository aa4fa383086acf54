"""The audit service: moves events from the outbox into each organization's hash chain, and signs a
checkpoint every N records or T seconds.

Each batch is one transaction: the events are appended to the log and deleted from the outbox
together, so a crash at any point leaves each event either still in the outbox or in the log, never
both and never neither — exactly once. Drains are serialised by one advisory lock, so several service
replicas may run, taking turns. Runs as its own database role, which may only
read and empty the outbox and add to (never change) the log; its statements are the audit
repositories' (``db.repositories.audit_outbox``, ``audit_log``). Must never build a query itself, nor
hold a transaction open while Vault signs or the locked copy is written.
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
import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import (
    GENESIS,
    AuditEvent,
    AuditRecord,
    canonical,
    chain_hash,
    checkpoint_message,
)
from enclave.audit_trail.archive import ArchiveUnavailable, LockedArchive
from enclave.audit_trail.signer import CheckpointSigner, SigningUnavailable
from enclave.audit_trail.trail import read_records
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.db.repositories.audit_log import (
    AuditLogRepository,
    commit_without_flush_wait,
    heads_and_signed,
    logged_event_ids,
)
from enclave.db.repositories.audit_outbox import Outboxed, take_batch
from enclave.settings import AuditSettings

log = structlog.get_logger(__name__)
#: The UUID version of events the api records: made once, so never offered twice.
_RECORDED_ONCE = 4


_EVENT = msgspec.json.Decoder(AuditEvent)


def _event_of(row: Outboxed) -> AuditEvent:
    """The outbox row's event; one that does not parse is recorded as malformed (with a hash of what
    it held) rather than dropped or left to block the trail."""
    try:
        return _EVENT.decode(row.event)
    except (msgspec.ValidationError, msgspec.DecodeError):
        log.error("audit_event_malformed", outbox_id=row.id)  # noqa: TRY400 — no traceback: it holds the data
        return AuditEvent(
            event_id=row.event_id,
            organization_id=row.organization_id,
            occurred_at=row.created_at,
            actor="system",
            action=AuditAction.AUDIT_EVENT_MALFORMED,
            target=f"outbox:{row.id}",
            outcome=Outcome.FAILURE,
            details={"sha256": hashlib.sha256(row.event.encode()).hexdigest()},
        )


@dataclass
class _Head:
    seq: int
    hash: bytes


class AuditService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        signer: CheckpointSigner,
        archive: LockedArchive,
        settings: AuditSettings,
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._archive = archive
        self._archive_ready = False
        self._settings = settings
        #: organization → the records this process appended since its last checkpoint, in order: the
        #: next locked segment, kept so sealing it needs no read of the log (bounded: see _remember).
        self._pending: dict[uuid.UUID, list[StoredRecord]] = {}
        self._heads: dict[uuid.UUID, int] = {}  # organization → head seq this process appended
        #: organization → the head of its chain as this process last appended it. Stale when
        #: another replica appended since: its next append collides on the primary key
        #: (organization, seq), is rolled back and done again from the log (see drain_once).
        self._chain_heads: dict[uuid.UUID, _Head] = {}
        #: How often that happened (a replica appended in between).
        self.stale_heads = 0
        self._unsigned_since: dict[uuid.UUID, float] = {}  # ... and since when it was unsigned
        self._signed: dict[uuid.UUID, int] = {}  # organization → seq of its last checkpoint
        self._grew = asyncio.Event()  # set by the drain loop: the checkpoint loop has work to look at

    async def drain_once(self) -> int:
        """Appends one batch from the outbox; returns how many events it moved."""
        try:
            return await self._drain_batch()
        except asyncpg.UniqueViolationError:  # raised by the raw append (db.raw), unwrapped
            if not self._chain_heads:
                raise  # no remembered head to blame: a real fault
            # Another replica appended since this process last did: the first record appended
            # after a stale head collided with its own (organization, seq), and the whole batch
            # was rolled back, outbox rows included. Once more, from the log's heads.
            self._chain_heads.clear()
            self.stale_heads += 1
            log.info("audit_head_stale")
            return await self._drain_batch()

    async def _drain_batch(self) -> int:
        appended: dict[uuid.UUID, list[StoredRecord]] = {}
        async with self._sessions() as session, session.begin():
            # The commit need not wait for the disk: the events leave the outbox and enter the log
            # in this one transaction, so a crash that loses it loses both halves, and the events
            # (durable in the outbox since the api's own commit) are appended again, identically.
            # A checkpoint's commit does wait, and WAL is written in order: whatever a stored
            # checkpoint covers is durable.
            await commit_without_flush_wait(session)
            # One drainer at a time (replicas take turns, under the repository's drain lock): the
            # audit role may not lock outbox rows, which would take UPDATE rights it must not have.
            # Taken out of the outbox in the same transaction that appends them: if anything fails
            # before the commit, they stay there.
            rows = await take_batch(session, self._settings.batch_size)
            if not rows:
                return 0
            # An event already in the log (one a source such as Keycloak's puller offered again)
            # is dropped from the outbox, not appended twice: each event is recorded exactly once.
            # Only such sources name events by content (UUIDv5); the api's own (UUIDv4, made once
            # in the change's transaction) cannot recur, so they are not looked up.
            offered = [r.event_id for r in rows if r.event_id.version != _RECORDED_ONCE]
            known = await logged_event_ids(session, offered) if offered else set()
            by_org: dict[uuid.UUID, list[Outboxed]] = defaultdict(list)
            for row in rows:
                if row.event_id not in known:
                    known.add(row.event_id)  # and a duplicate within the batch, once
                    by_org[row.organization_id].append(row)
            for organization_id, events in by_org.items():
                appended[organization_id] = await self._append(session, organization_id, events)
        # Committed: only now do these records count towards a checkpoint.
        now = time.monotonic()
        for organization_id, records in appended.items():
            self._unsigned_since.setdefault(organization_id, now)
            self._heads[organization_id] = records[-1].seq
            self._chain_heads[organization_id] = _Head(records[-1].seq, records[-1].hash)
            self._remember(organization_id, records)
        return len(rows)

    def _remember(self, organization_id: uuid.UUID, records: list[StoredRecord]) -> None:
        pending = self._pending.setdefault(organization_id, [])
        if pending and pending[-1].seq + 1 != records[0].seq:
            pending.clear()  # another replica appended in between: that segment is read from the log
        pending.extend(records)
        if len(pending) > 4 * self._settings.checkpoint_every:
            del self._pending[organization_id]  # checkpoints are failing; read the segment back later

    async def _append(
        self, session: AsyncSession, organization_id: uuid.UUID, rows: list[Outboxed]
    ) -> list[StoredRecord]:
        """Appends the events to the organization's chain; returns the records as stored. The drain
        lock makes this the chain's only writer while it runs; the head is the one this process
        appended last (no read of the log per batch), or read from the log."""
        chain = AuditLogRepository(session, organization_id)
        known = self._chain_heads.get(organization_id)
        if known is not None:
            head = _Head(known.seq, known.hash)
        else:
            last = await chain.head()
            head = _Head(0, GENESIS) if last is None else _Head(*last)
        events = [_event_of(row) for row in rows]
        stored = []
        for event in events:
            head.seq += 1
            content = canonical(AuditRecord(format=1, seq=head.seq, event=event))
            digest = chain_hash(head.hash, content)
            stored.append(StoredRecord.of(head.seq, event, content, head.hash, digest))
            head.hash = digest
        # One INSERT for the batch, as asyncpg's own prepared statement (``db.raw``).
        await chain.append(stored, [event.occurred_at for event in events])
        return stored

    # --- checkpoints ---------------------------------------------------------------------------

    async def load_unsigned(self) -> None:
        """At start: every organization's head and last checkpoint, in one query; those whose chain
        runs past it are due (an installation of many organizations asks once, not once each)."""
        async with self._sessions() as session:
            found = await heads_and_signed(session)
        now = time.monotonic()
        for organization_id, head_seq, signed_seq in found:
            self._signed[organization_id] = signed_seq
            if head_seq > signed_seq:
                self._heads[organization_id] = head_seq
                self._unsigned_since.setdefault(organization_id, now)

    async def checkpoint_due(self, *, force: bool = False) -> int:
        """Signs a checkpoint for every organization whose chain grew by N records since its last
        one, or grew at all and T seconds passed (or at all, with ``force``). Returns how many.
        Works from what this process appended (and ``load_unsigned``): no scan of the log."""
        made = 0
        now = time.monotonic()
        for organization_id, head_seq in list(self._heads.items()):
            signed = await self._last_signed(organization_id)
            behind = head_seq - signed
            if behind <= 0:
                self._heads.pop(organization_id, None)
                self._unsigned_since.pop(organization_id, None)
                continue
            waited = now - self._unsigned_since.get(organization_id, now)
            if (
                force
                or behind >= self._settings.checkpoint_every
                or waited >= self._settings.checkpoint_interval_s
            ):
                try:
                    await self._checkpoint(organization_id, signed, head_seq)
                except SigningUnavailable:
                    log.warning("audit_checkpoint_deferred", reason="vault unavailable")
                    return made
                except ArchiveUnavailable as error:
                    log.warning("audit_checkpoint_deferred", reason=str(error))
                    self._archive_ready = False
                    return made
                self._signed[organization_id] = head_seq
                if self._heads.get(organization_id) == head_seq:
                    self._heads.pop(organization_id, None)
                    self._unsigned_since.pop(organization_id, None)
                made += 1
        return made

    async def _last_signed(self, organization_id: uuid.UUID) -> int:
        if organization_id not in self._signed:
            async with self._sessions() as session:
                self._signed[organization_id] = await AuditLogRepository(
                    session, organization_id
                ).last_signed()
        return self._signed[organization_id]

    async def _checkpoint(self, organization_id: uuid.UUID, signed: int, seq: int) -> None:
        """Signs the head at ``seq``, writes the segment since ``signed`` with the checkpoint to the
        locked copy, then stores the checkpoint: a checkpoint in the database always has its copy.
        No transaction is held open while Vault signs and MinIO stores."""
        if not self._archive_ready:
            await anyio.to_thread.run_sync(self._archive.ensure)
            self._archive_ready = True
        segment = await self._segment(organization_id, signed + 1, seq)
        head_hash = segment[-1].hash
        message = checkpoint_message(organization_id, seq, head_hash)
        signature, version = await anyio.to_thread.run_sync(self._signer.sign, message)
        checkpoint = StoredCheckpoint(seq, head_hash, signature)
        await anyio.to_thread.run_sync(self._archive.put, organization_id, segment, checkpoint)
        async with self._sessions() as session, session.begin():
            # Another replica may have signed the same head meanwhile (the same record, key and
            # message, so the same checkpoint): its row stands and this one is not an error.
            await AuditLogRepository(session, organization_id).add_checkpoint(
                seq, head_hash, signature, version, dt.datetime.now(dt.UTC)
            )

    async def _segment(self, organization_id: uuid.UUID, first: int, last: int) -> list[StoredRecord]:
        """Records ``first..last``: from what this process appended if it holds them, else the log."""
        pending = self._pending.get(organization_id, [])
        if pending and pending[0].seq <= first and pending[-1].seq >= last:
            start = first - pending[0].seq
            segment = pending[start : start + last - first + 1]
            del pending[: start + len(segment)]
            return segment
        self._pending.pop(organization_id, None)
        async with self._sessions() as session:
            segment = await read_records(session, organization_id, first, last)
        if len(segment) != last - first + 1:
            raise RuntimeError(f"the log of {organization_id} lacks records {first}..{last}")
        return segment

    # --- the loop ------------------------------------------------------------------------------

    def signed_through(self, organization_id: uuid.UUID) -> int:
        """The last record of the organization this process knows a checkpoint for (0: none)."""
        return self._signed.get(organization_id, 0)

    def appended_through(self, organization_id: uuid.UUID) -> int:
        """The last record of the organization this process appended or knows signed (0: none)."""
        return max(self._heads.get(organization_id, 0), self.signed_through(organization_id))

    async def run(self, stop: asyncio.Event) -> None:
        """Drains and signs until ``stop``: two loops side by side, so that signing a checkpoint
        (Vault) and writing its locked copy (MinIO) overlap with appending the next batches."""
        await anyio.to_thread.run_sync(self._signer.ensure_key)
        await self.load_unsigned()
        async with asyncio.TaskGroup() as loops:
            loops.create_task(self._drain_loop(stop))
            loops.create_task(self._checkpoint_loop(stop))

    async def _drain_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if await self.drain_once() == 0:
                await _pause(stop, self._settings.poll_interval_s)
            else:
                self._grew.set()

    async def _checkpoint_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.checkpoint_due()
            self._grew.clear()
            # Woken by new records (a checkpoint may be due), or by time (T seconds may have passed).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._grew.wait(), timeout=self._settings.poll_interval_s)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
