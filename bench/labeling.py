"""Enclave against Label Studio on the same machine, in the same run, with the same workload
(issues 8 and 21), in rounds on one project per platform:

1. 2,000 image tasks imported (timed), 16 annotators take and submit one box each until none is
   left (annotations/s; p50 and p99 of a take and of a submit); a page of 100 tasks listed 50 times;
   the whole project exported as JSON (seconds, annotations/s, peak RSS of the server).
2. and 3. 1,000 more image tasks each, with 64 and then 256 annotators at once.
4. The large scale: 2,000 more image tasks (timed), then, untimed, tasks imported in bulk behind
   them until the project holds 100,000, another project of the organization with 1,000,000
   annotation versions, and nine more organizations with 10,000 tasks each (``Platform.add_tasks``,
   ``add_background``). 16 annotators take and submit 2,000, and the page is listed again.

Each platform runs alone (Enclave first, then Label Studio), against the same PostgreSQL; the ratios
are what the report quotes. Goals, Enclave / Label Studio with 16 annotators: submit throughput >= 20x,
submit p99 <= 1/10, list p50 <= 1/10, export throughput >= 20x. Size does not matter: Enclave's take,
submit and list, p50 and p99, at 100,000 tasks within 1.5x of the same at 2,000. The rounds with 64 and
256 annotators are reported, not goals. A round that did less than its workload (a task without its
annotation, an export short of annotations) fails: a figure must measure the whole job.
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

import httpx

from bench.annotator_http import TRANSPORT_ERRORS, StatusError
from bench.core import Context, Goal, Result, Table, scale
from bench.enclave_platform import Enclave
from bench.peer import start_label_studio
from bench.platform import Background, Image, Platform
from bench.processes import cpu_seconds
from bench.storage import PNG_HEAD

ANNOTATORS = 16
#: How much more the large scale may cost than the default one (issue 21).
SIZE_FACTOR = 1.5
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
    take_s: list[float] = field(default_factory=list)
    submit_s: list[float] = field(default_factory=list)
    list_s: list[float] = field(default_factory=list)
    export_s: float = 0.0
    exported: int = 0
    export_peak_rss_bytes: int = 0
    #: CPU time over the annotating: the server's processes, and this load generator's own.
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

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
            "server_cpu_ms_per_annotation": round(self.server_cpu_s / self.annotations * 1000, 2),
            "client_cpu_ms_per_annotation": round(self.client_cpu_s / self.annotations * 1000, 2),
            "take_p50_ms": round(_percentile(self.take_s, 50) * 1000, 2),
            "take_p99_ms": round(_percentile(self.take_s, 99) * 1000, 2),
            "submit_p50_ms": round(_percentile(self.submit_s, 50) * 1000, 2),
            "submit_p99_ms": round(_percentile(self.submit_s, 99) * 1000, 2),
            "list_p50_ms": round(_percentile(self.list_s, 50) * 1000, 2),
            "list_p99_ms": round(_percentile(self.list_s, 99) * 1000, 2),
        } | (
            {
                "export_s": round(self.export_s, 3),
                "export_annotations": self.exported,
                "export_annotations_per_s": round(self.export_annotations_per_s, 1),
                "export_peak_rss_mib": round(self.export_peak_rss_bytes / 1024**2, 1),
            }
            if self.export_s
            else {}
        )


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


def images(count: int, prefix: str = "img") -> list[Image]:
    """Distinct small PNG files (a real PNG signature and header, then bytes of their own)."""
    return [Image(f"{prefix}-{n:06d}.png", PNG_HEAD + os.urandom(2048)) for n in range(count)]


@dataclass(frozen=True)
class Round:
    """One measured stretch of the workload: ``images`` new image tasks imported (timed), then
    ``annotators`` at once take and submit that many; ``project_tasks`` > 0 first fills the project
    to that many tasks and adds ``background`` (the large scale)."""

    name: str
    images: int
    annotators: int
    export: bool = False
    project_tasks: int = 0
    background: Background | None = None


def rounds(quick: bool) -> list[Round]:
    """The rounds in the order they run; ``quick`` keeps their shape at a fraction of their size."""
    if quick:
        large, background = 1_000, Background(500, 10, 3, 200)
        sizes = (100, 50, 50, 100)
    else:
        large, background = 100_000, Background(100_000, 10, 10, 10_000)
        sizes = (2_000, 1_000, 1_000, 2_000)
    return [
        Round("default", sizes[0], ANNOTATORS, export=True),
        Round("64 annotators", sizes[1], 64),
        Round("256 annotators", sizes[2], 256),
        Round("large", sizes[3], ANNOTATORS, project_tasks=large, background=background),
    ]


async def annotate(
    platform: Platform, annotators: int, budget: int, figures: Figures, context: Context
) -> None:
    """``annotators`` at once take a task and submit a box on it until ``budget`` are submitted (or
    none is left); every take and submit timed."""
    bar = context.progress.add_task(f"{platform.name}: {annotators} annotating", total=budget)
    remaining = budget

    async def annotator(index: int) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            began = time.perf_counter()
            task = await platform.next_task(index)
            taken = time.perf_counter()
            if task is None:
                return
            await platform.submit_box(index, task)
            figures.take_s.append(taken - began)
            figures.submit_s.append(time.perf_counter() - taken)
            context.progress.advance(bar)

    server = platform.server_pids()
    server_before, client_before = cpu_seconds(server), time.process_time()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(annotator(n) for n in range(annotators)))
    finally:
        context.progress.remove_task(bar)
    figures.annotate_s = time.perf_counter() - started
    figures.server_cpu_s = cpu_seconds(server) - server_before
    figures.client_cpu_s = time.process_time() - client_before
    figures.annotations = len(figures.submit_s)
    if figures.annotations != budget:
        raise RuntimeError(f"{platform.name}: {figures.annotations} annotations of {budget}")


async def measure_round(platform: Platform, round_: Round, made: int, context: Context) -> Figures:
    """One round on a prepared platform whose project already holds ``made`` tasks."""
    figures = Figures()
    log = context.console.log
    workload = images(round_.images, prefix=f"img-{made:06d}")
    log(f"{platform.name} [{round_.name}]: importing {len(workload)} image tasks")
    started = time.perf_counter()
    figures.tasks = await platform.import_images(workload)
    figures.import_s = time.perf_counter() - started
    if figures.tasks != made + len(workload):
        raise RuntimeError(
            f"{platform.name}: {figures.tasks} tasks after importing {len(workload)} to {made}"
        )
    if round_.project_tasks:
        log(f"{platform.name} [{round_.name}]: adding tasks until the project holds {round_.project_tasks}")
        await platform.add_tasks(round_.project_tasks - figures.tasks)
        figures.tasks = round_.project_tasks
    if round_.background is not None:
        log(f"{platform.name} [{round_.name}]: adding {round_.background}")
        await platform.add_background(round_.background)

    await annotate(platform, round_.annotators, len(workload), figures, context)

    log(f"{platform.name} [{round_.name}]: listing a page of 100 tasks {LIST_PAGES} times")
    for _ in range(LIST_PAGES):
        began = time.perf_counter()
        shown = await platform.list_page()
        figures.list_s.append(time.perf_counter() - began)
        if shown != 100:
            raise RuntimeError(f"{platform.name}: a page showed {shown} tasks")

    if round_.export:
        log(f"{platform.name} [{round_.name}]: exporting the project")
        with RssSampler(platform.server_pids()) as memory:
            started = time.perf_counter()
            figures.exported = await platform.export()
            figures.export_s = time.perf_counter() - started
        figures.export_peak_rss_bytes = memory.peak
        if figures.exported != figures.annotations:
            raise RuntimeError(
                f"{platform.name}: the export held {figures.exported} of {figures.annotations}"
            )
    return figures


async def measure(platform: Platform, plan: list[Round], context: Context) -> dict[str, Figures | str]:
    """Every round in turn on one project; a round with more annotators than the default that the
    platform could not serve (a timeout, a refused connection, a 5xx) is recorded as what it
    answered, and ends that platform's rounds, since its project is then half done."""
    context.console.log(f"{platform.name}: preparing an organization, a project and its annotators")
    await platform.prepare(max(r.annotators for r in plan))
    measured: dict[str, Figures | str] = {}
    made = 0
    for round_ in plan:
        try:
            figures = await measure_round(platform, round_, made, context)
        except (httpx.TransportError, httpx.HTTPStatusError, StatusError, *TRANSPORT_ERRORS) as error:
            if isinstance(error, httpx.HTTPStatusError):
                overloaded = error.response.status_code >= 500
            else:
                overloaded = not isinstance(error, StatusError) or error.status_code >= 500
            if round_.annotators == ANNOTATORS or not overloaded:
                raise
            measured[round_.name] = f"did not answer: {type(error).__name__}: {str(error)[:200]}"
            context.console.log(f"{platform.name} [{round_.name}]: {measured[round_.name]}")
            break
        measured[round_.name] = figures
        made = figures.tasks
    return measured


def goals(ours: Figures, peer: Figures) -> list[Goal]:
    """Every goal against Label Studio as a ratio that must reach its figure: latencies as Label
    Studio's / ours."""
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


def size_goals(small: Figures, large: Figures) -> list[Goal]:
    """Size does not matter: each latency at the default scale over the same at the large one must
    reach 1 / ``SIZE_FACTOR`` (the large one at most 1.5 times the default)."""
    found = []
    for what, samples in (("tasks/next", "take_s"), ("submit", "submit_s"), ("list 100", "list_s")):
        for percent in (50, 99):
            ratio = _percentile(getattr(small, samples), percent) / _percentile(
                getattr(large, samples), percent
            )
            name = f"{what} p{percent}, {small.tasks:,} tasks / {large.tasks:,} tasks (Enclave)"
            found.append(Goal(name, ratio, round(1 / SIZE_FACTOR, 3)))
    return found


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


def _rows(ours: dict[str, Any], theirs: dict[str, Any] | str) -> list[tuple[str, ...]]:
    def peer(key: str) -> str:
        return theirs if isinstance(theirs, str) else f"{theirs.get(key, '')}"

    shown = [
        ("tasks in the project", "tasks", ""),
        ("import", "import_s", "s"),
        ("submit throughput", "annotations_per_s", "annotations/s"),
        ("server CPU per annotation (not PostgreSQL)", "server_cpu_ms_per_annotation", "ms"),
        ("load generator CPU per annotation", "client_cpu_ms_per_annotation", "ms"),
        ("tasks/next p50", "take_p50_ms", "ms"),
        ("tasks/next p99", "take_p99_ms", "ms"),
        ("submit p50", "submit_p50_ms", "ms"),
        ("submit p99", "submit_p99_ms", "ms"),
        ("list p50", "list_p50_ms", "ms"),
        ("list p99", "list_p99_ms", "ms"),
        ("export", "export_s", "s"),
        ("export throughput", "export_annotations_per_s", "annotations/s"),
        ("export peak RSS", "export_peak_rss_mib", "MiB"),
    ]
    return [(name, unit, f"{ours[key]}", peer(key)) for name, key, unit in shown if key in ours]


class LabelStudioBenchmark:
    name = "labelstudio"
    summary = (
        f"the same labeling workload against Enclave and Label Studio ({ANNOTATORS}, 64 and 256 annotators; "
        "then at 100,000 tasks unless BENCH_SCALE=default)"
    )

    def run(self, context: Context) -> Result:
        return asyncio.run(self._run(context))

    async def _run(self, context: Context) -> Result:
        # The large round is compared with the default one, so it never runs alone.
        scales = "default" if scale() == "default" else "both"
        plan = [r for r in rounds(context.quick) if scales == "both" or r.project_tasks == 0]
        measured: dict[str, dict[str, Figures | str]] = {}
        facts: dict[str, dict[str, str]] = {}
        # Label Studio is installed (and migrated) before anything is timed. It gets the image bytes
        # too (its own file upload), as Enclave does: neither imports mere references.
        peer = await start_label_studio(
            context.stack.env, context.work_dir, log=context.console.log, upload_images=True
        )
        platforms: list[Platform] = [Enclave(context.stack, context.work_dir), peer]
        try:
            for platform in platforms:
                measured[platform.name] = await measure(platform, plan, context)
                facts[platform.name] = platform.facts
        finally:
            for platform in platforms:
                await platform.close()
        ours, theirs = measured["enclave"], measured[peer.name]
        first = plan[0].name
        mine, peers = ours[first], theirs[first]
        if not isinstance(mine, Figures) or not isinstance(peers, Figures):
            raise RuntimeError("the default round must be measured on both platforms")  # noqa: TRY004
        found = goals(mine, peers)
        large = ours.get("large")
        if isinstance(large, Figures):
            found += size_goals(mine, large)
        information = {}
        for round_ in plan[1:]:
            a, b = ours.get(round_.name), theirs.get(round_.name)
            if isinstance(a, Figures) and isinstance(b, Figures):
                information[f"submit throughput, {round_.name} (Enclave / Label Studio)"] = round(
                    a.annotations_per_s / b.annotations_per_s, 3
                )
                information[f"submit p99 speedup, {round_.name} (Label Studio / Enclave)"] = round(
                    _percentile(b.submit_s, 99) / _percentile(a.submit_s, 99), 3
                )
        chart_path = context.work_dir / CHART
        chart(found, chart_path, f"Enclave / Label Studio, {mine.tasks} tasks, {ANNOTATORS} annotators")

        def summary(figures: Figures | str | None) -> dict[str, Any] | str:
            return figures.summary() if isinstance(figures, Figures) else (figures or "not run")

        tables = []
        for round_ in plan:
            mine_now, theirs_now = summary(ours.get(round_.name)), summary(theirs.get(round_.name))
            if isinstance(mine_now, dict):
                title = f"{round_.name}: {round_.images:,} submissions, {round_.annotators} annotators"
                columns = ("figure", "unit", "Enclave", "Label Studio")
                tables.append(Table(title, columns, _rows(mine_now, theirs_now)))
        goal_rows = [(g.name, f"{g.measured:.2f}", f">= {g.required}", g.verdict) for g in found]
        goal_rows += [(name, f"{value:.2f}", "reported", "") for name, value in information.items()]
        tables.append(
            Table("Ratios", ("ratio", "measured", "goal", "verdict"), goal_rows, (f"chart: {CHART}",))
        )
        return Result(
            self.name,
            {
                "scale": scales,
                "rounds": [asdict(r) for r in plan],
                "list_pages": LIST_PAGES,
                "platforms": facts,
                "enclave": {name: summary(f) for name, f in ours.items()},
                "label_studio": {name: summary(f) for name, f in theirs.items()},
                "ratios": {g.name: round(g.measured, 3) for g in found},
                "reported": information,
                "chart": CHART,
                "raw": {
                    platform: {name: asdict(f) for name, f in rounds_.items() if isinstance(f, Figures)}
                    for platform, rounds_ in measured.items()
                },
            },
            tables=tables,
            goals=found,
        )
