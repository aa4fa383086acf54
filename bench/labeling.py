"""Enclave against Label Studio on the same machine, in the same run, with the same workload
(issue 8): import N image tasks; C annotators take tasks and submit one box each until none is
left (annotations/s, p50 and p99 of a submit); list a page of 100 tasks 50 times (p50, p99); export
the whole project as JSON (seconds, annotations/s, peak RSS of the server while it exports).

Each platform runs alone (Enclave first, then Label Studio), against the same PostgreSQL; the ratios
are what the report quotes. Goals, Enclave / Label Studio: submit throughput >= 20x, submit p99 <= 1/10,
list p50 <= 1/10, export throughput >= 20x. A run that did less than the workload (a task without
its annotation, an export short of annotations) fails: a figure must measure the whole job.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.core import Context, Goal, Result, Table
from bench.enclave_platform import Enclave
from bench.peer import start_label_studio
from bench.platform import Image, Platform
from bench.storage import PNG_HEAD

TASKS = {"default": 2_000, "large": 100_000}
QUICK_TASKS = 100
ANNOTATORS = 16
LIST_PAGES = 50
#: How often the server's memory is sampled during the export.
RSS_INTERVAL_S = 0.005
CHART = "ratios.png"


@dataclass
class Figures:
    tasks: int = 0
    import_s: float = 0.0
    annotate_s: float = 0.0
    annotations: int = 0
    submit_s: list[float] = field(default_factory=list)
    list_s: list[float] = field(default_factory=list)
    export_s: float = 0.0
    exported: int = 0
    export_peak_rss_bytes: int = 0

    @property
    def annotations_per_s(self) -> float:
        return self.annotations / self.annotate_s

    @property
    def export_annotations_per_s(self) -> float:
        return self.exported / self.export_s

    def summary(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "import_s": round(self.import_s, 3),
            "annotate_s": round(self.annotate_s, 3),
            "annotations": self.annotations,
            "annotations_per_s": round(self.annotations_per_s, 1),
            "submit_p50_ms": round(_percentile(self.submit_s, 50) * 1000, 2),
            "submit_p99_ms": round(_percentile(self.submit_s, 99) * 1000, 2),
            "list_p50_ms": round(_percentile(self.list_s, 50) * 1000, 2),
            "list_p99_ms": round(_percentile(self.list_s, 99) * 1000, 2),
            "export_s": round(self.export_s, 3),
            "export_annotations": self.exported,
            "export_annotations_per_s": round(self.export_annotations_per_s, 1),
            "export_peak_rss_mib": round(self.export_peak_rss_bytes / 1024**2, 1),
        }


def _percentile(samples: list[float], percent: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


class RssSampler:
    """Peak resident memory of a set of processes (summed: a pre-forking server's workers count),
    read from /proc in a thread while the measured work runs."""

    def __init__(self, pids: list[int]) -> None:
        self._pids = pids
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = 0
        for pid in self._pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue  # a worker that just exited
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._rss())
            self._stop.wait(RSS_INTERVAL_S)

    def __enter__(self) -> RssSampler:
        self._peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._rss())

    @property
    def peak(self) -> int:
        return self._peak


def images(count: int) -> list[Image]:
    """Distinct small PNG files (a real PNG signature and header, then bytes of their own)."""
    return [Image(f"img-{n:06d}.png", PNG_HEAD + os.urandom(2048)) for n in range(count)]


async def measure(platform: Platform, workload: list[Image], context: Context) -> Figures:
    figures = Figures()
    console, progress = context.console, context.progress
    console.log(f"{platform.name}: preparing an organization, a project and {ANNOTATORS} annotators")
    await platform.prepare(ANNOTATORS)

    console.log(f"{platform.name}: importing {len(workload)} image tasks")
    started = time.perf_counter()
    figures.tasks = await platform.import_images(workload)
    figures.import_s = time.perf_counter() - started
    if figures.tasks != len(workload):
        raise RuntimeError(f"{platform.name} made {figures.tasks} tasks of {len(workload)} images")

    bar = progress.add_task(f"{platform.name}: annotating", total=figures.tasks)

    async def annotator(index: int) -> None:
        while (task := await platform.next_task(index)) is not None:
            began = time.perf_counter()
            await platform.submit_box(index, task)
            figures.submit_s.append(time.perf_counter() - began)
            progress.advance(bar)

    started = time.perf_counter()
    await asyncio.gather(*(annotator(n) for n in range(ANNOTATORS)))
    figures.annotate_s = time.perf_counter() - started
    figures.annotations = len(figures.submit_s)
    progress.remove_task(bar)
    if figures.annotations != figures.tasks:
        raise RuntimeError(f"{platform.name}: {figures.annotations} annotations for {figures.tasks} tasks")

    console.log(f"{platform.name}: listing a page of 100 tasks {LIST_PAGES} times")
    for _ in range(LIST_PAGES):
        began = time.perf_counter()
        shown = await platform.list_page()
        figures.list_s.append(time.perf_counter() - began)
        if shown != min(100, figures.tasks):
            raise RuntimeError(f"{platform.name}: a page showed {shown} tasks")

    console.log(f"{platform.name}: exporting the project")
    with RssSampler(platform.server_pids()) as memory:
        started = time.perf_counter()
        figures.exported = await platform.export()
        figures.export_s = time.perf_counter() - started
    figures.export_peak_rss_bytes = memory.peak
    if figures.exported != figures.annotations:
        raise RuntimeError(f"{platform.name}: the export held {figures.exported} of {figures.annotations}")
    return figures


def goals(ours: Figures, peer: Figures) -> list[Goal]:
    """Every goal as a ratio that must reach its figure: latencies as Label Studio's / ours."""
    return [
        Goal(
            "submit throughput (Enclave / Label Studio)", ours.annotations_per_s / peer.annotations_per_s, 20
        ),
        Goal(
            "submit p99 speedup (Label Studio / Enclave)",
            _percentile(peer.submit_s, 99) / _percentile(ours.submit_s, 99),
            10,
        ),
        Goal(
            "list p50 speedup (Label Studio / Enclave)",
            _percentile(peer.list_s, 50) / _percentile(ours.list_s, 50),
            10,
        ),
        Goal(
            "export throughput (Enclave / Label Studio)",
            ours.export_annotations_per_s / peer.export_annotations_per_s,
            20,
        ),
    ]


def chart(goals_: list[Goal], path: Path, title: str) -> None:
    """A bar per ratio (log scale) with its goal marked: the picture the README shows."""
    import matplotlib  # only make bench draws, and only here

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.2), dpi=120)
    names = [goal.name for goal in goals_]
    colours = ["#2e7d32" if goal.met else "#c62828" for goal in goals_]
    axes.barh(names, [goal.measured for goal in goals_], color=colours)
    for row, goal in enumerate(goals_):
        axes.plot([goal.required, goal.required], [row - 0.4, row + 0.4], color="black", linewidth=2)
        axes.annotate(
            f"{goal.measured:.2f}x", (goal.measured, row), xytext=(4, -4), textcoords="offset points"
        )
    axes.set_xscale("log")
    axes.axvline(1, color="grey", linewidth=0.8, linestyle=":")
    axes.invert_yaxis()
    axes.set_xlabel("ratio (black mark: goal; dotted: parity)")
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _row(name: str, ours: Any, peer: Any, unit: str) -> tuple[str, ...]:
    return (name, unit, f"{ours}", f"{peer}")


class LabelStudioBenchmark:
    name = "labelstudio"
    summary = (
        f"the same labeling workload against Enclave and Label Studio ({ANNOTATORS} annotators; "
        "BENCH_SCALE=large for 100,000 tasks)"
    )

    def run(self, context: Context) -> Result:
        return asyncio.run(self._run(context))

    async def _run(self, context: Context) -> Result:
        scale = os.environ.get("BENCH_SCALE", "default")
        count = QUICK_TASKS if context.quick else TASKS[scale]
        workload = images(count)
        measured: dict[str, Figures] = {}
        facts: dict[str, dict[str, str]] = {}
        # Label Studio is installed (and migrated) before anything is timed. It gets the image bytes
        # too (its own file upload), as Enclave does: neither imports mere references.
        peer = await start_label_studio(
            context.stack.env, context.work_dir, log=context.console.log, upload_images=True
        )
        platforms: list[Platform] = [Enclave(context.stack, context.work_dir), peer]
        try:
            for platform in platforms:
                measured[platform.name] = await measure(platform, workload, context)
                facts[platform.name] = platform.facts
        finally:
            for platform in platforms:
                await platform.close()
        ours, theirs = measured["enclave"], measured[peer.name]
        found = goals(ours, theirs)
        chart_path = context.work_dir / CHART
        chart(found, chart_path, f"Enclave / Label Studio, {count} tasks, {ANNOTATORS} annotators")
        a, b = ours.summary(), theirs.summary()
        rows = [
            _row("import", a["import_s"], b["import_s"], "s"),
            _row("submit throughput", a["annotations_per_s"], b["annotations_per_s"], "annotations/s"),
            _row("submit p50", a["submit_p50_ms"], b["submit_p50_ms"], "ms"),
            _row("submit p99", a["submit_p99_ms"], b["submit_p99_ms"], "ms"),
            _row("list p50", a["list_p50_ms"], b["list_p50_ms"], "ms"),
            _row("list p99", a["list_p99_ms"], b["list_p99_ms"], "ms"),
            _row("export", a["export_s"], b["export_s"], "s"),
            _row(
                "export throughput",
                a["export_annotations_per_s"],
                b["export_annotations_per_s"],
                "annotations/s",
            ),
            _row("export peak RSS", a["export_peak_rss_mib"], b["export_peak_rss_mib"], "MiB"),
        ]
        goal_rows = [(g.name, f"{g.measured:.2f}", f">= {g.required}", g.verdict) for g in found]
        return Result(
            self.name,
            {
                "scale": scale,
                "tasks": count,
                "annotators": ANNOTATORS,
                "list_pages": LIST_PAGES,
                "platforms": facts,
                "enclave": a,
                "label_studio": b,
                "ratios": {g.name: round(g.measured, 3) for g in found},
                "chart": CHART,
                "raw": {name: asdict(f) for name, f in measured.items()},
            },
            tables=[
                Table(
                    f"Enclave and Label Studio, {count} tasks, {ANNOTATORS} annotators",
                    ("figure", "unit", "Enclave", "Label Studio"),
                    rows,
                    notes=(f"chart: {chart_path.name}",),
                ),
                Table("Ratios", ("ratio", "measured", "goal", "verdict"), goal_rows),
            ],
            goals=found,
        )
