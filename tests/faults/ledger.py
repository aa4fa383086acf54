"""Jepsen's bookkeeping for the fault suite: what the load's clients were told, against what the
database holds and the audit trail recorded once the audit service drained its outbox.

Owns the reading (as the api's role bound to the organization, and the outbox as the audit service's
role) and the counting; it changes nothing, and decides nothing: the test asserts on the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from enclave.db.engine import create_engine
from enclave.settings import DatabaseSettings, TLSSettings
from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.support.load import LoadRecord, Submission

DRAIN_TIMEOUT_S = 120.0


def stored_versions(tenant: Tenant) -> dict[tuple[str, str | None], int]:
    rows = sql_as_tenant(
        tenant.org_id,
        "SELECT task_id::text, idempotency_key, count(*) FROM annotation_versions"
        " GROUP BY task_id, idempotency_key",
    )
    return {(str(task), key): int(n) for task, key, n in rows}


def audited_submissions(tenant: Tenant) -> Counter[str]:
    rows = sql_as_tenant(
        tenant.org_id,
        "SELECT target, count(*) FROM audit_log WHERE action = 'task:annotation:submit' GROUP BY target",
    )
    return Counter({str(target): int(n) for target, n in rows})


def wait_until_drained(tenant: Tenant) -> None:
    """Waits until the audit service has chained every outbox event of the organization."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        left = outbox_left(tenant)
        if left == 0:
            return
        assert time.monotonic() < deadline, f"{left} audit events still in the outbox: the trail stalled"
        time.sleep(0.5)


def outbox_left(tenant: Tenant) -> int:
    """Events of the organization not yet chained, read as the audit service's role."""

    async def count() -> int:
        engine = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="faults")
        try:
            async with engine.connect() as connection:
                found = await connection.execute(
                    sa.text("SELECT count(*) FROM audit_outbox WHERE organization_id = :org"),
                    {"org": tenant.org_id},
                )
                return int(found.scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


@dataclass
class Ledger:
    """The checks of what was stored against what the clients were told."""

    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    undecided: int = 0
    refused: int = 0
    replays_answered_otherwise: int = 0
    #: One line per wrong submission, for the failure message.
    problems: list[str] = field(default_factory=list)


def ledger_of(
    submissions: list[Submission], stored: dict[tuple[str, str | None], int], audited: Counter[str]
) -> Ledger:
    """Each submission against what is stored (per task and Idempotency-Key) and audited (per task:
    every submission here is its task's only one)."""
    ledger = Ledger()
    problems = ledger.problems
    sent = {(s.task_id, s.key) for s in submissions}
    rows: Counter[str] = Counter()
    explained: set[str] = set()  # tasks holding a version some client sent
    for (task, key), n in stored.items():
        rows[task] += n
        if (task, key) in sent:
            explained.add(task)
        else:
            problems.append(f"task {task}: {n} version(s) under a key no client sent ({key})")
    # Each extra row once: a key stored twice, or a version nobody sent.
    for task, n in rows.items():
        extra = n - (1 if task in explained else 0)
        if extra > 0:
            ledger.duplicated += extra
            problems.append(f"task {task}: {n} versions stored, one expected")
    # Each audit record beyond the versions stored for its task.
    for target, n in audited.items():
        extra = n - rows[target.removeprefix("task:")]
        if extra > 0:
            ledger.duplicated += extra
            problems.append(f"{target}: audited {n} times, stored {rows[target.removeprefix('task:')]}")
    for s in submissions:
        n = stored.get((s.task_id, s.key), 0)
        trail = audited.get(f"task:{s.task_id}", 0)
        if s.outcome == "acknowledged":
            ledger.acknowledged += 1
            if n == 0 or trail == 0:
                ledger.lost += 1
                problems.append(f"task {s.task_id}: acknowledged, stored {n}, audited {trail}")
            if s.replayed_status is not None and (
                s.replayed_status != 200 or s.replayed_version_id != s.version_id
            ):
                ledger.replays_answered_otherwise += 1
                problems.append(f"task {s.task_id}: sent again, answered {s.replayed_status}")
        elif s.outcome == "undecided":
            ledger.undecided += 1
            if trail != n:
                problems.append(f"task {s.task_id}: undecided, stored {n} but audited {trail}")
        else:
            ledger.refused += 1
            problems.append(f"task {s.task_id}: refused with {s.status}, stored {n}")
    return ledger


@dataclass
class Answers:
    """What the clients were answered, over every attempt."""

    total: int
    server_errors_not_503: int
    unavailable_without_retry_after: int
    unavailable: int
    no_answer: Counter[str]
    slowest_s: float


def answers_of(record: LoadRecord) -> Answers:
    attempts = record.attempts
    return Answers(
        total=len(attempts),
        server_errors_not_503=sum(
            1 for a in attempts if a.status is not None and a.status >= 500 and a.status != 503
        ),
        unavailable_without_retry_after=sum(1 for a in attempts if a.status == 503 and not a.retry_after),
        unavailable=sum(1 for a in attempts if a.status == 503),
        no_answer=Counter(a.error for a in attempts if a.status is None and a.error),
        slowest_s=max((a.elapsed_s for a in attempts), default=0.0),
    )
