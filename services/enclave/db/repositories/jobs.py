"""Background jobs: every query on ``jobs`` (the jobs domain and the worker).

Owns the claim (``enclave_claim_job``, migration 0012: the next job of any organization, taken with
``FOR UPDATE SKIP LOCKED`` so several workers never take the same one), the lease a worker renews,
and the guarded writes of an attempt: a worker's progress, artifact and end are written only while
the job is still its attempt (same worker, same attempt number, still running), so a worker that lost
its lease can never overwrite what its successor does. Must never decide who may see or cancel a job
(the policy's), nor read a job of another organization outside the claim.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models import Job
from enclave.db.repositories.base import TenantRepository
from enclave.domain.jobs import JobState

#: The jobs of a project a list shows, newest first.
LIST_LIMIT = 100

_CLAIM = text("SELECT job_id, organization_id, attempt FROM enclave_claim_job(:worker, :lease)").bindparams(
    bindparam("worker"), bindparam("lease")
)


@dataclass(frozen=True, slots=True)
class Claim:
    """A job a worker took: which, whose, and the attempt's number (its artifact's name)."""

    job_id: uuid.UUID
    organization_id: uuid.UUID
    attempt: int


async def claim_next(session: AsyncSession, worker: str, lease_seconds: int) -> Claim | None:
    """Takes the oldest job no live worker holds, of any organization (the session is bound to none).
    Commits on its own: the claim must stand before the work starts."""
    async with session.begin():
        row = (await session.execute(_CLAIM, {"worker": worker, "lease": lease_seconds})).first()
    return None if row is None else Claim(row.job_id, row.organization_id, row.attempt)


class JobRepository(TenantRepository[Job]):
    model = Job

    async def of_project(
        self, project_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False
    ) -> Job | None:
        statement = self.select().where(Job.id == job_id, Job.project_id == project_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def list_of_project(self, project_id: uuid.UUID) -> list[Job]:
        statement = (
            self.select()
            .where(Job.project_id == project_id)
            .order_by(Job.created_at.desc())
            .limit(LIST_LIMIT)
        )
        return list(await self.list(statement))

    # --- a worker's attempt ----------------------------------------------------------------------

    def _attempt(self, claim: Claim, worker: str) -> Any:
        return update(Job).where(
            Job.organization_id == self.organization_id,
            Job.id == claim.job_id,
            Job.worker == worker,
            Job.attempts == claim.attempt,
            Job.state == JobState.RUNNING,
        )

    async def renew(
        self, claim: Claim, worker: str, lease_seconds: int, done: int, total: int | None
    ) -> bool | None:
        """Extends the lease and records progress. Returns whether a cancel was asked for, or None
        when the attempt is no longer this worker's (its lease ran out and another took the job)."""
        statement = (
            self._attempt(claim, worker)
            .values(
                lease_until=func.now() + dt.timedelta(seconds=lease_seconds),
                progress_done=done,
                progress_total=total,
            )
            .returning(Job.cancel_requested)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def end(self, claim: Claim, worker: str, state: JobState, **values: Any) -> bool:
        """Ends the attempt (succeeded with its artifact, failed with a message, cancelled); False
        when it was no longer this worker's, and nothing was written."""
        statement = (
            self._attempt(claim, worker)
            .values(state=state, finished_at=func.now(), lease_until=None, **values)
            .returning(Job.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def release(self, claim: Claim, worker: str) -> None:
        """Lets the lease run out now (a worker shutting down): another worker starts the job over."""
        await self.session.execute(self._attempt(claim, worker).values(lease_until=func.now()))

    async def started(self, claim: Claim) -> Job | None:
        """The claimed job's row, as this attempt sees it."""
        statement = self.select().where(Job.id == claim.job_id, Job.attempts == claim.attempt)
        return (await self.session.execute(statement)).scalar_one_or_none()
