"""What a benchmark is and what it hands back: the contract between the runner and each benchmark.

Owns the shapes only: a benchmark's name and ``run``, its JSON figures, the tables it shows and the goals
it checks; and the one setting every benchmark reads, its scale (``BENCH_SCALE``). Measuring belongs
to the benchmark modules, printing and writing to ``bench.report``. Must never raise for a missed
goal: a benchmark is a measurement, and the report says MET or MISSED.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import Progress
from tests.integration.stack import Stack

MiB = 1024 * 1024


#: ``BENCH_SCALE``: ``default`` runs every benchmark at its default size only; ``large`` adds each
#: one's large scale (the head-to-head's round at 100,000 tasks, exports of 100,000 tasks). Unset,
#: each runs as ``make bench`` runs it: the head-to-head at both scales, the exports at default.
SCALES = ("default", "large")


def scale() -> str | None:
    """``BENCH_SCALE``, or None when it is unset. Any other value stops the run (the runner asks
    before the first benchmark): a misspelt scale must not measure another one silently."""
    value = os.environ.get("BENCH_SCALE") or None
    if value is not None and value not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)} or unset, not {value!r}")
    return value


@dataclass(frozen=True)
class Goal:
    """A ratio that must reach ``required``: e.g. proxied download throughput / raw MinIO GET >= 0.8."""

    name: str
    measured: float
    required: float

    @property
    def met(self) -> bool:
        return self.measured >= self.required

    @property
    def verdict(self) -> str:
        return "MET" if self.met else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": round(self.measured, 3),
            "required": self.required,
            "met": self.met,
        }


@dataclass(frozen=True)
class Table:
    """What a benchmark shows on the terminal; its JSON figures say the same in full."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    notes: tuple[str, ...] = ()


@dataclass
class Result:
    name: str
    figures: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the runner gives every benchmark: the running stack, a place for logs, and the terminal."""

    stack: Stack
    work_dir: Path
    console: Console
    progress: Progress
    #: A few repetitions only: to check that a benchmark works, not to measure.
    quick: bool = False


class Benchmark(Protocol):
    name: str
    summary: str

    def run(self, context: Context) -> Result: ...


@dataclass(frozen=True)
class Samples:
    """Timed repetitions of one transfer of ``size`` bytes; throughput in MiB/s."""

    size: int
    seconds: list[float]

    @property
    def throughputs(self) -> list[float]:
        return [self.size / MiB / s for s in self.seconds]

    @property
    def median(self) -> float:
        return statistics.median(self.throughputs)

    def as_dict(self) -> dict[str, Any]:
        rates = self.throughputs
        return {
            "median_mib_s": round(self.median, 2),
            "min_mib_s": round(min(rates), 2),
            "max_mib_s": round(max(rates), 2),
            "seconds": [round(s, 6) for s in self.seconds],
        }
