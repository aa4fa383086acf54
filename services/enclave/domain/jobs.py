"""What a background job is and where it stands: the words the jobs domain, the worker and the
models share."""

from __future__ import annotations

import enum


class JobKind(enum.StrEnum):
    EXPORT = "export"
    IMPORT = "import"


class JobState(enum.StrEnum):
    """queued → running → succeeded | failed | cancelled; running → running again (a new attempt)
    when its worker's lease ran out."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
