"""Figures per replica (issue 21): what one api process serves, so ``docs/scaling.md`` can say how
many annotators a replica carries and what to scale first.

The head-to-head's default round (``bench.labeling``: 2,000 image tasks, 16 annotators taking and
submitting one box each, a page of tasks listed) against 1 and then 2 api replicas, each one process
of one worker sharing the port as ``make up`` with ``ENCLAVE_REPLICAS`` runs them (the kernel spreads
connections across them), with the audit service draining the audit outbox into the chain as it
runs in production. CPU time is read from /proc for every api replica and for the audit service
over the annotating alone. Reports annotations/s in all, per api process, and per CPU second of the
api and of the whole (api and audit service), and how the work was spread across the replicas.
Figures, not goals: the machine has two cores, so two replicas measure the spread and its cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.stack import Stack
from tests.support.api_process import stop_process

from bench.core import Context, Result, Table
from bench.enclave_platform import Enclave
from bench.labeling import ANNOTATORS, Figures, annotate, images
from bench.processes import children, cpu_seconds

REPLICAS = (1, 2)
TASKS = 2_000
QUICK_TASKS = 100


@contextlib.contextmanager
def running_audit_service(stack: Stack, log: Path) -> Iterator[int]:
    """``enclave-audit run`` on the stack, as in production; yields its process id."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave.audit_service", "run"],
            env=os.environ | stack.env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        yield process.pid
    finally:
        stop_process(process)


@dataclass(frozen=True)
class Measured:
    replicas: int
    annotations: int
    seconds: float
    api_cpu_s: list[float]
    audit_cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        api = sum(self.api_cpu_s)
        rate = self.annotations / self.seconds
        return {
            "replicas": self.replicas,
            "annotations": self.annotations,
            "seconds": round(self.seconds, 3),
            "annotations_per_s": round(rate, 1),
            "annotations_per_s_per_api_process": round(rate / self.replicas, 1),
            "api_cpu_s": [round(s, 2) for s in self.api_cpu_s],
            "annotations_per_api_cpu_s": round(self.annotations / api, 1),
            "audit_cpu_s": round(self.audit_cpu_s, 2),
            "annotations_per_cpu_s": round(self.annotations / (api + self.audit_cpu_s), 1),
            "api_cpu_share": [round(s / api, 3) for s in self.api_cpu_s],
        }


async def measure(stack: Stack, replicas: int, tasks: int, context: Context) -> Measured:
    log = context.work_dir / f"replicas-{replicas}-audit.log"
    platform = Enclave(stack, context.work_dir, replicas=replicas)
    try:
        with running_audit_service(stack, log) as audit:
            await platform.prepare(ANNOTATORS)
            context.console.log(f"replicas: {replicas} api process(es), importing {tasks} image tasks")
            await platform.import_images(images(tasks, prefix=f"replicas-{replicas}"))
            processes = platform.replica_pids()
            audit_processes = [audit, *children(audit)]
            api_before = [cpu_seconds(pids) for pids in processes]
            audit_before = cpu_seconds(audit_processes)
            figures = Figures()
            started = time.perf_counter()
            await annotate(platform, ANNOTATORS, tasks, figures, context)
            seconds = time.perf_counter() - started
            api_cpu = [cpu_seconds(pids) - before for pids, before in zip(processes, api_before, strict=True)]
            audit_cpu = cpu_seconds(audit_processes) - audit_before
    finally:
        await platform.close()
    return Measured(replicas, figures.annotations, seconds, api_cpu, audit_cpu)


class ReplicasBenchmark:
    name = "replicas"
    summary = (
        f"annotations/s per api process and per CPU second, with {' and '.join(map(str, REPLICAS))} replicas"
    )

    def run(self, context: Context) -> Result:
        tasks = QUICK_TASKS if context.quick else TASKS
        found = [asyncio.run(measure(context.stack, n, tasks, context)) for n in REPLICAS]
        rows = []
        for result in found:
            shown = result.as_dict()
            rows.append(
                (
                    str(result.replicas),
                    f"{shown['annotations_per_s']}",
                    f"{shown['annotations_per_s_per_api_process']}",
                    f"{shown['annotations_per_api_cpu_s']}",
                    f"{shown['annotations_per_cpu_s']}",
                    " / ".join(f"{share:.0%}" for share in shown["api_cpu_share"]),
                )
            )
        table = Table(
            f"{tasks:,} submissions by {ANNOTATORS} annotators against N api replicas (one process each)",
            (
                "api replicas",
                "annotations/s",
                "per api process",
                "per api CPU second",
                "per CPU second (api + audit)",
                "api CPU per replica",
            ),
            rows,
            notes=("CPU from /proc over the annotating; the audit service drains the outbox as it runs.",),
        )
        return Result(
            self.name,
            {"tasks": tasks, "annotators": ANNOTATORS, "runs": [m.as_dict() for m in found]},
            [table],
        )
