"""What the head-to-head benchmark asks of a platform: the same workload, spoken in each one's own API.

``bench.labeling`` drives the workload; ``bench.enclave_platform`` and ``bench.peer`` (Label Studio)
each implement this protocol. Every call is one or more real HTTP requests to a real server; nothing
here may answer from a local cache, or the figures would measure the client instead of the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Image:
    """One image of the workload: the same bytes go to both platforms."""

    name: str
    data: bytes


@dataclass(frozen=True)
class TaskRef:
    """A task an annotator took: the platform's own id for it (opaque to the driver)."""

    id: str


@dataclass(frozen=True)
class Background:
    """What the large scale adds around the measured project: another project of the organization
    with ``archive_tasks`` done tasks of ``versions_per_task`` annotation versions each, and
    ``organizations - 1`` more organizations with a project of ``tasks_per_organization`` tasks."""

    archive_tasks: int
    versions_per_task: int
    organizations: int
    tasks_per_organization: int

    @property
    def versions(self) -> int:
        return self.archive_tasks * self.versions_per_task


class Platform(Protocol):
    #: Shown in tables and used as the key in the JSON document: ``enclave`` or ``label-studio``.
    name: str
    #: Free-form facts for the results: version, server command line, worker count.
    facts: dict[str, str]

    def server_pids(self) -> list[int]:
        """The server's processes (all of a pre-forking server's workers), to sample peak RSS."""
        ...

    async def prepare(self, annotators: int) -> None:
        """Untimed: an organization, a project with a one-label box ontology, ``annotators`` users who
        may annotate in it, and credentials for each (API tokens)."""
        ...

    async def import_images(self, images: list[Image]) -> int:
        """Timed: makes one task per image in the project; returns how many tasks exist."""
        ...

    async def add_tasks(self, count: int) -> None:
        """Untimed: ``count`` more tasks in the project, behind those in its queue, imported in bulk
        without image bytes (neither platform's take, submit or list reads an item's content)."""
        ...

    async def add_background(self, background: Background) -> None:
        """Untimed: the large scale's rows around the project (``Background``); bulk imports through
        the API where one exists, annotation versions as copies of one this run made (``bench.seed``)."""
        ...

    async def next_task(self, annotator: int) -> TaskRef | None:
        """The next task for annotator ``annotator`` (0-based) to label; None once there is none."""
        ...

    async def submit_box(self, annotator: int, task: TaskRef) -> None:
        """Submits one box annotation (label ``car``; x 10, y 20, width 30, height 40 percent) on ``task``."""
        ...

    async def list_page(self) -> int:
        """One page of 100 tasks of the project, as its task list shows them; returns how many came back."""
        ...

    async def export(self) -> int:
        """The whole project as JSON (read to the end); returns how many annotations it held."""
        ...

    async def close(self) -> None:
        """Stops what ``prepare`` started (servers, clients)."""
        ...
