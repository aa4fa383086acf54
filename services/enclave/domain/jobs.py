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


class JobFailure(enum.StrEnum):
    """Why a job did not succeed. Only ``INVALID`` has words of its own (they can quote the
    customer's content, an item's name or a label, so they are stored sealed); the others are fixed
    sentences the api writes."""

    CANCELLED = "cancelled"
    #: The input or the request could not be used; the sealed detail says where and why.
    INVALID = "invalid"
    #: Something went wrong on the server; the worker's log has the exception's type and frames.
    FAULT = "fault"
    #: Its workers stopped ``MAX_ATTEMPTS`` times without finishing (``enclave_claim_job``).
    ABANDONED = "abandoned"
