"""One attempt at a claimed job: its lease renewed in the background, its progress recorded, a
cancel noticed, and its end written and audited — the same for every kind of job.

A job's work (``export_run``, ``import_run``) gets an ``Attempt``: it counts progress on it and calls
``check()`` often; ``check`` raises ``Stopped`` once a cancel was asked for or the lease was lost (the
job then belongs to another worker), so the work ends without keeping anything. Must never write a
job's end unless the attempt still holds the job (the repository's guarded writes), and never end an
attempt without its audit event.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave import egress
from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.recorder import AuditRecorder, RequestFacts
from enclave.crypto.content import ContentCipher
from enclave.crypto.keyring import KeyRing
from enclave.db.models import Job as JobRow
from enclave.db.repositories.jobs import Claim, JobRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import DomainError
from enclave.domain.jobs import JobFailure, JobKind, JobState
from enclave.exchange.errors import ExchangeError
from enclave.settings import WorkerSettings
from enclave.storage.homes import Homes, OrganizationObjects

log = structlog.get_logger("enclave.worker")

#: Each kind's start and finish events.
EVENTS = {
    JobKind.EXPORT: (AuditAction.PROJECT_EXPORT_START, AuditAction.PROJECT_EXPORT_FINISH),
    JobKind.IMPORT: (AuditAction.PROJECT_IMPORT_START, AuditAction.PROJECT_IMPORT_FINISH),
}
#: How often work that reads in batches looks at its job's row.
POLL_S = 0.5


class Stopped(Exception):
    """The attempt must end now: a cancel was asked for, or its lease went to another worker."""


@dataclass
class WorkerContext:
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    homes: Homes
    settings: WorkerSettings
    name: str


@dataclass
class Attempt:
    claim: Claim
    context: WorkerContext
    #: The job's organization's objects, in its home.
    objects: OrganizationObjects
    done: int = 0
    total: int | None = None
    cancelled: bool = False
    lost: bool = False
    #: Objects this attempt stored, removed again if it does not succeed.
    stored: list[str] = field(default_factory=list)
    #: When the job's row was last read (a cancel is seen within ``POLL_S`` of it being asked).
    polled: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Called by the work between records (from any thread: it only reads two flags)."""
        if self.cancelled or self.lost:
            raise Stopped

    async def renew(self) -> None:
        self.polled = time.monotonic()
        async with self.context.sessions() as session, session.begin():
            await bind_tenant(session, self.claim.organization_id)
            answer = await JobRepository(session, self.claim.organization_id).renew(
                self.claim, self.context.name, self.context.settings.lease_s, self.done, self.total
            )
        if answer is None:
            self.lost = True
        elif answer:
            self.cancelled = True

    async def poll(self) -> None:
        """Between batches: renews (and so reads the cancel flag) if ``POLL_S`` have passed, so a
        cancel stops the work within about that, not within a lease renewal."""
        if time.monotonic() - self.polled >= POLL_S:
            await self.renew()

    async def keep_alive(self) -> None:
        """Renews the lease a few times per lease period until cancelled (by ``run``)."""
        while True:
            await asyncio.sleep(self.context.settings.lease_s / 4)
            try:
                await self.renew()
            except Exception:  # noqa: BLE001 — a database blip: the next renewal may make it in time
                log.warning("job_lease_renewal_failed", job_id=str(self.claim.job_id))


#: A kind's work: stores what it makes, returns the job's columns to write when it succeeded.
Work = Callable[[Attempt, JobRow], Awaitable[dict[str, Any]]]


async def run(context: WorkerContext, claim: Claim, works: dict[JobKind, Work]) -> JobState | None:
    """Does one attempt at ``claim``'s job; returns how it ended (None: it was no longer ours)."""
    async with context.sessions() as session, session.begin():
        await bind_tenant(session, claim.organization_id)
        job = await JobRepository(session, claim.organization_id).started(claim)
        if job is None:  # pragma: no cover — the claim just made it ours
            return None
        started, finished = EVENTS[job.kind]
        await _record(session, job, started, {"attempt": claim.attempt})
        objects = await context.homes.objects(session, claim.organization_id)
    attempt = Attempt(claim, context, objects)
    log.info("job_started", job_id=str(job.id), kind=job.kind.value, attempt=claim.attempt)
    renewing = asyncio.create_task(attempt.keep_alive())
    values: dict[str, Any] = {}
    detail: str | None = None
    failure: JobFailure | None = None
    refusals = egress.witness()  # connections refused while doing the work go on its trail
    try:
        values = await works[job.kind](attempt, job)
        state, outcome = JobState.SUCCEEDED, Outcome.SUCCESS
    except Stopped:
        state, outcome, failure = JobState.CANCELLED, Outcome.FAILURE, JobFailure.CANCELLED
    except (ExchangeError, DomainError) as error:
        state, outcome, failure, detail = JobState.FAILED, Outcome.FAILURE, JobFailure.INVALID, str(error)
    except Exception:
        # The log keeps the exception's type and frames, never its message (``enclave.logging``).
        log.exception("job_failed", job_id=str(job.id))
        state, outcome, failure = JobState.FAILED, Outcome.FAILURE, JobFailure.FAULT
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
    if attempt.lost:
        await _forget(attempt)
        return None
    if state is not JobState.SUCCEEDED:
        await _forget(attempt)
        values = {"failure": failure}
    async with context.sessions() as session, session.begin():
        await bind_tenant(session, claim.organization_id)
        if detail is not None:
            cipher = ContentCipher(context.keyring, session, claim.organization_id)
            values["failure_detail"] = await cipher.seal_job_failure(job.id, detail)
        values.setdefault("progress_done", attempt.done)
        ended = await JobRepository(session, claim.organization_id).end(claim, context.name, state, **values)
        if ended:
            details: dict[str, Any] = {"attempt": claim.attempt, "state": state.value}
            await _record(session, job, finished, details, outcome)
            for endpoint in egress.refused_endpoints(refusals):
                await _record(
                    session,
                    job,
                    AuditAction.SECURITY_EGRESS_REFUSED,
                    {"job": str(job.id), "call": endpoint.via, "attempts": endpoint.attempts},
                    Outcome.FAILURE,
                    target=f"endpoint:{endpoint.where}",
                )
    if not ended:
        await _forget(attempt)
        return None
    log.info("job_ended", job_id=str(job.id), state=state.value)
    return state


async def _record(
    session: AsyncSession,
    job: JobRow,
    action: AuditAction,
    details: dict[str, Any],
    outcome: Outcome = Outcome.SUCCESS,
    *,
    target: str | None = None,
) -> None:
    facts = RequestFacts(
        organization_id=job.organization_id,
        actor=f"user:{job.requested_by}",
        source=None,
        user_agent=None,
        request_id=f"job:{job.id}",
        via="worker",
    )
    await AuditRecorder(session, facts).record(
        action, target or f"job:{job.id}", {"project": str(job.project_id), **details}, outcome=outcome
    )


async def _forget(attempt: Attempt) -> None:
    """Removes what an attempt stored but will not keep (the object is under its attempt's own name,
    so a successor's is never touched)."""
    for key in attempt.stored:
        try:
            await asyncio.to_thread(attempt.objects.delete, key)
        except Exception:  # noqa: BLE001 — a leftover is logged; the job's outcome stands
            log.warning("job_object_left", job_id=str(attempt.claim.job_id), key=key)


def object_key(job_id: uuid.UUID, attempt: int, role: str) -> str:
    """Where an attempt's file lives: ``jobs/<job>/<attempt>/<role>``."""
    return f"jobs/{job_id}/{attempt}/{role}"
