"""Audit service replicas taking turns on the same chain: each remembers the head it appended last
instead of reading it for every batch; when another replica has appended since, its next batch
collides on the chain's primary key, is rolled back whole, and is appended again from the log's head —
so the chain stays one unbroken sequence and every event is in it exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.audit.actions import AuditAction
from enclave.audit.events import AuditEvent, to_builtins
from enclave.audit_service.drain import AuditService
from enclave.audit_trail.archive import LockedArchive
from enclave.audit_trail.signer import CheckpointSigner
from enclave.audit_trail.trail import read_chain
from enclave.audit_trail.verify import verify_chain
from enclave.db.engine import create_engine
from enclave.db.models import AuditCheckpointRow, AuditLogRow, AuditOutboxRow
from enclave.db.session import bind_tenant, session_factory
from enclave.settings import AuditSettings, DatabaseSettings, S3Settings, TLSSettings, VaultSettings
from tests.integration.domain.world import provision
from tests.integration.stack import Stack

BATCH = 50
#: Attempts at getting a batch to the first replica (another running service may take one first).
ATTEMPTS = 50


@pytest.fixture
async def sessions(migrated: Stack) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], ...]]:
    api = create_engine(DatabaseSettings(), TLSSettings(), application_name="test-replicas-api")
    audit = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="test-replicas")
    yield session_factory(api), session_factory(audit)
    await api.dispose()
    await audit.dispose()


def _replica(audit: async_sessionmaker[AsyncSession]) -> AuditService:
    settings, tls = AuditSettings(batch_size=BATCH), TLSSettings()
    return AuditService(
        audit,
        CheckpointSigner(VaultSettings(), settings, tls),
        LockedArchive(S3Settings(), tls, settings),
        settings,
    )


async def _fill(api: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, count: int) -> None:
    events = [
        AuditEvent(
            event_id=uuid.uuid4(),
            organization_id=organization_id,
            occurred_at=dt.datetime.now(dt.UTC),
            actor="system",
            action=AuditAction.DATA_DATASET_CREATE,
            target=f"dataset:{uuid.uuid4()}",
        )
        for _ in range(count)
    ]
    async with api() as session, session.begin():
        await bind_tenant(session, organization_id)
        await session.execute(
            insert(AuditOutboxRow),
            [
                {"event_id": e.event_id, "organization_id": organization_id, "event": to_builtins(e)}
                for e in events
            ],
        )


async def _count(sessions: async_sessionmaker[AsyncSession], table: type, organization_id: uuid.UUID) -> int:
    async with sessions() as session:
        counted = await session.execute(
            select(func.count()).select_from(table).where(table.organization_id == organization_id)  # type: ignore[attr-defined]
        )
        return int(counted.scalar_one())


async def test_replicas_taking_turns_keep_one_chain_with_every_event_once(
    sessions: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    api, audit = sessions
    organization_id, _ = await asyncio.to_thread(provision)
    first, second = _replica(audit), _replica(audit)
    filled = 0

    async def appended_by(replica: AuditService) -> None:
        """Offers batches until ``replica`` appends one (a running audit service may take some)."""
        nonlocal filled
        for _ in range(ATTEMPTS):
            await _fill(api, organization_id, BATCH)
            filled += BATCH
            if await replica.drain_once() > 0:
                return
        pytest.fail(f"the replica appended nothing in {ATTEMPTS} batches")

    await appended_by(first)  # remembers the head it appended
    await appended_by(second)  # ... which is now stale
    assert first.stale_heads == 0
    await appended_by(first)
    assert first.stale_heads == 1  # its batch collided, was rolled back, and was appended again

    while await _count(audit, AuditOutboxRow, organization_id):
        await first.drain_once()
    async with audit() as session:
        records, _ = await read_chain(session, organization_id)
    assert [r.seq for r in records] == list(range(1, filled + 1))
    assert len({r.event_id for r in records}) == filled == await _count(audit, AuditLogRow, organization_id)
    verdict = verify_chain(organization_id, records, [], {})
    assert verdict.ok, verdict.problem


async def _heads(audit: async_sessionmaker[AsyncSession], organization_id: uuid.UUID) -> tuple[int, int]:
    """The organization's last record and last checkpoint, as the database has them."""
    async with audit() as session:
        head = await session.scalar(
            select(func.coalesce(func.max(AuditLogRow.seq), 0)).where(
                AuditLogRow.organization_id == organization_id
            )
        )
        signed = await session.scalar(
            select(func.coalesce(func.max(AuditCheckpointRow.seq), 0)).where(
                AuditCheckpointRow.organization_id == organization_id
            )
        )
    return int(head or 0), int(signed or 0)


async def _started(audit: async_sessionmaker[AsyncSession], organization_id: uuid.UUID) -> AuditService:
    """A replica that has just started (``load_unsigned``) while the organization's chain stood
    still (another running service may sign it meanwhile: then it starts again)."""
    for _ in range(ATTEMPTS):
        before = await _heads(audit, organization_id)
        replica = _replica(audit)
        await replica.load_unsigned()
        if await _heads(audit, organization_id) == before:
            head, signed = before
            assert replica.signed_through(organization_id) == signed
            assert replica.appended_through(organization_id) == head
            return replica
    pytest.fail(f"the chain did not stand still for {ATTEMPTS} starts")


async def test_a_starting_replica_knows_each_chain_and_its_last_checkpoint(
    sessions: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    api, audit = sessions
    organization_id, _ = await asyncio.to_thread(provision)
    first = _replica(audit)
    while await first.drain_once() == 0:  # a running audit service may take a batch first
        await _fill(api, organization_id, BATCH)
    while await _count(audit, AuditOutboxRow, organization_id):
        await first.drain_once()
    assert await first.checkpoint_due(force=True) >= 1
    signed = first.signed_through(organization_id)

    assert signed > 0
    # Everything signed: the starting replica knows the checkpoint, and nothing of it is due.
    starting = await _started(audit, organization_id)
    assert await starting.checkpoint_due() == 0

    await _fill(api, organization_id, BATCH)
    while await _count(audit, AuditOutboxRow, organization_id):
        await first.drain_once()
    # Records past the checkpoint: due, and signed from where the last checkpoint ended.
    later = await _started(audit, organization_id)
    head, _ = await _heads(audit, organization_id)
    assert later.appended_through(organization_id) == head > signed
    await later.checkpoint_due(force=True)
    assert later.signed_through(organization_id) == head
    assert await _heads(audit, organization_id) == (head, head)
