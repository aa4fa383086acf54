"""``python -m bench`` (``make bench``): runs the registered benchmarks against the real local stack,
writes ``bench/results/latest.json`` and prints a table per benchmark.

A new benchmark is a module with a class that has ``name``, ``summary`` and ``run(context)``
(``bench.core.Benchmark``), added to ``BENCHMARKS``. Exits non-zero only when a benchmark could not
run; a missed goal is reported, not fatal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import report
from bench.audit import AuditBenchmark
from bench.core import Benchmark, Context, Result, scale
from bench.editor import EditorBenchmark
from bench.exports import ExportBenchmark
from bench.labeling import LabelStudioBenchmark
from bench.replicas import ReplicasBenchmark
from bench.stack import prepared_stack
from bench.storage import StorageBenchmark

BENCHMARKS: tuple[Benchmark, ...] = (
    StorageBenchmark(),
    AuditBenchmark(),
    LabelStudioBenchmark(),
    ExportBenchmark(),
    ReplicasBenchmark(),
    EditorBenchmark(),
)
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {[b.name for b in BENCHMARKS]})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few repetitions: check the harness, not speed"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"the JSON document (default: {RESULTS})"
    )
    return parser.parse_args()


def main() -> int:
    arguments = _arguments()
    unknown = set(arguments.names) - {b.name for b in BENCHMARKS}
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    chosen = [b for b in BENCHMARKS if not arguments.names or b.name in arguments.names]
    scale()  # a wrong BENCH_SCALE stops the run here, before anything is measured
    console = Console()
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    console.log("stack: checking it runs, applying migrations")
    stack = prepared_stack()
    results: list[Result] = []
    work_dir = arguments.output.parent  # the api logs of the run go beside its results
    work_dir.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for benchmark in chosen:
            console.log(f"[bold]{benchmark.name}[/]: {benchmark.summary}")
            context = Context(stack, work_dir, console, progress, quick=arguments.quick)
            results.append(benchmark.run(context))
    doc = report.document(results, started, dt.datetime.now(dt.UTC), load_before)
    report.write(doc, arguments.output)
    report.show(console, doc, results)
    console.print(
        f"Results: {arguments.output}" + (" (quick run: not a measurement)" if arguments.quick else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
