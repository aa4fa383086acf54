"""A load of annotators for fault tests: threads that take tasks and submit annotations through the
real api over TLS, each as its own member, retrying the way a careful client does, and recording every
answer they got.

Owns the client's side of Jepsen's rule: a submission that timed out, lost its connection or got a 503
may have been stored, so it is retried with the same ``Idempotency-Key`` until the api answers it, and
it is counted once. The load records what it was told (acknowledged, refused, never answered) and every
attempt's status and duration; deciding whether that is right is the test's business, never this
module's: it asserts nothing.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

#: The longest a client waits for one answer: a slower answer counts as a hang.
CLIENT_TIMEOUT_S = 10.0
#: How long a client keeps retrying one request before it gives up (it then stays undecided).
GIVE_UP_AFTER_S = 120.0
#: The longest a client sleeps between retries, whatever ``Retry-After`` says (a short test run).
MAX_BACKOFF_S = 2.0
#: A share of submissions sent a second time after their 2xx, as if that answer had been lost.
REPLAYED_SHARE = 0.25


@dataclass(frozen=True)
class Attempt:
    """One request as the client saw it: a status (None: no answer) and how long it took."""

    what: str
    status: int | None
    elapsed_s: float
    retry_after: str | None = None
    error: str | None = None


@dataclass
class Submission:
    """One annotation a client meant to submit, under one Idempotency-Key.

    ``outcome``: "acknowledged" (a 2xx), "refused" (a 4xx, the api said it was not stored) or
    "undecided" (no answer before the client gave up: stored once or not at all)."""

    task_id: str
    key: str
    #: The payload's x coordinate, as JSON text: a marker that must never be stored in the clear.
    marker: str
    outcome: str = "undecided"
    version_id: str | None = None
    #: Status of the answer that decided it; 200 means a retry found the version made before.
    status: int | None = None
    replayed_status: int | None = None
    replayed_version_id: str | None = None


@dataclass
class LoadRecord:
    """Everything the load's clients saw, shared by their threads (appends only, under a lock)."""

    attempts: list[Attempt] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempted(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    def submitted(self, submission: Submission) -> None:
        with self._lock:
            self.submissions.append(submission)


def marker_coordinate() -> float:
    """A coordinate whose JSON text (17 significant digits) exists nowhere but where a test put it."""
    return random.uniform(100_000, 999_999)  # noqa: S311 — distinctive, not secret


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "1")), MAX_BACKOFF_S)
    except ValueError:
        return MAX_BACKOFF_S


def answered(
    client: httpx.Client, record: LoadRecord, what: str, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    """Sends one request until the api gives an answer other than 503 or a server error; None when
    it gave none for ``GIVE_UP_AFTER_S``. Every attempt is recorded. Safe only for requests that may
    be repeated (an Idempotency-Key, a read, a claim the api hands back to the same caller)."""
    deadline = time.monotonic() + GIVE_UP_AFTER_S
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            response = client.request(method, url, timeout=CLIENT_TIMEOUT_S, **kwargs)
        except httpx.TransportError as error:  # a timeout, a refused or broken connection
            record.attempted(Attempt(what, None, time.monotonic() - started, error=type(error).__name__))
            time.sleep(0.5)
            continue
        elapsed = time.monotonic() - started
        record.attempted(Attempt(what, response.status_code, elapsed, response.headers.get("Retry-After")))
        if response.status_code < 500:
            return response
        time.sleep(_retry_after(response))
    return None


class Annotator(threading.Thread):
    """One member taking the project's tasks and submitting each once, until told to stop."""

    def __init__(
        self,
        client: httpx.Client,
        headers: dict[str, str],
        project_id: str,
        record: LoadRecord,
        stop: threading.Event,
        think_s: float,
    ) -> None:
        super().__init__(daemon=True)
        self.client, self.headers, self.project_id = client, headers, project_id
        self.record, self.stop, self.think_s = record, stop, think_s

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.work_one():
                self.stop.wait(self.think_s)
            self.stop.wait(random.uniform(0, self.think_s))  # noqa: S311 — pacing, not secret

    def work_one(self) -> bool:
        """Takes one task and submits it; False when there was none (or no answer)."""
        taken = answered(
            self.client,
            self.record,
            "take",
            "POST",
            f"/api/v1/projects/{self.project_id}/tasks/next",
            json={},
            headers=self.headers,
        )
        if taken is None or not taken.is_success or taken.json()["task"] is None:
            return False
        self.submit(str(taken.json()["task"]["id"]))
        return True

    def submit(self, task_id: str) -> Submission:
        x = marker_coordinate()
        box = {"kind": "bbox", "label": "car", "x": x, "y": 2.0, "width": 30.0, "height": 40.0}
        submission = Submission(task_id, uuid.uuid4().hex, json.dumps(x))
        self.record.submitted(submission)

        def send() -> httpx.Response | None:
            return answered(
                self.client,
                self.record,
                "submit",
                "POST",
                f"/api/v1/tasks/{task_id}/annotations",
                json={"payload": {"objects": [box]}},
                headers=self.headers | {"Idempotency-Key": submission.key},
            )

        response = send()
        if response is None:
            return submission  # undecided: stored once or not at all
        submission.status = response.status_code
        if not response.is_success:
            submission.outcome = "refused"
            return submission
        submission.outcome, submission.version_id = "acknowledged", str(response.json()["id"])
        if random.random() < REPLAYED_SHARE:  # noqa: S311 — a sample, not a secret
            # The answer "was lost": the client sends it again, and must be told the same version.
            again = send()
            if again is not None:
                submission.replayed_status = again.status_code
                submission.replayed_version_id = str(again.json().get("id")) if again.is_success else None
        return submission


@contextmanager
def annotating(
    clients: list[tuple[httpx.Client, dict[str, str]]], project_id: str, think_s: float
) -> Iterator[LoadRecord]:
    """Runs one annotator per (client, headers) while the block runs; on exit they finish the
    submission in hand (retrying until answered) and stop."""
    record, stop = LoadRecord(), threading.Event()
    threads = [Annotator(client, headers, project_id, record, stop, think_s) for client, headers in clients]
    for thread in threads:
        thread.start()
    try:
        yield record
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=GIVE_UP_AFTER_S + 30)
