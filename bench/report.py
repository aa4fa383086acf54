"""The output of ``make bench``: one JSON document (``bench/results/latest.json``) and one table per
benchmark on the terminal, with every goal shown as MET or MISSED.

Owns the document's layout and the rendering; the figures come from the benchmarks unchanged. Must
never turn a missed goal into a failure: the exit status says whether the benchmarks ran, not how fast.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from bench.core import Result, Table
from bench.machine import machine_facts, pinned_versions, source_revision

FORMAT_VERSION = 1
VERDICT_STYLE = {"MET": "bold green", "MISSED": "bold red"}
#: A 1-minute load average above this per core before a run gets a warning in the report.
BUSY_LOAD_PER_CORE = 0.5


def document(
    results: list[Result], started: dt.datetime, finished: dt.datetime, load_before: tuple[float, ...]
) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "timestamp": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 1),
        "machine": machine_facts(),
        # 1, 5 and 15 minute load averages: work of others on the machine lowers every figure.
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "stack_versions": pinned_versions(),
        "source": source_revision(),
        "benchmarks": {
            result.name: {"goals": [goal.as_dict() for goal in result.goals], **result.figures}
            for result in results
        },
    }


def write(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(path)  # a reader never sees half a document


def _render(table: Table) -> RichTable:
    rendered = RichTable(title=table.title, box=box.SIMPLE_HEAVY, title_justify="left")
    for index, column in enumerate(table.columns):
        rendered.add_column(column, justify="left" if index < 2 else "right")
    for row in table.rows:
        rendered.add_row(
            *(f"[{VERDICT_STYLE[cell]}]{cell}[/]" if cell in VERDICT_STYLE else cell for cell in row)
        )
    if table.notes:
        rendered.caption = "\n".join(table.notes)
        rendered.caption_justify = "left"
    return rendered


def show(console: Console, doc: dict[str, Any], results: list[Result]) -> None:
    machine = doc["machine"]
    console.print(
        f"\n[bold]Enclave benchmarks[/] {doc['timestamp']} on {machine['cpu_model']}, "
        f"{machine['cores']} cores, {machine['memory_bytes'] / 1024**3:.0f} GiB, kernel {machine['kernel']}, "
        f"Python {machine['python']}"
        + (" (virtual machine: shared cores make figures noisier)" if machine["virtualized"] else "")
    )
    busy = doc["load_average"]["before"][0]
    if busy > BUSY_LOAD_PER_CORE * machine["cores"]:
        console.print(
            f"[bold yellow]The machine was busy before the run (load {busy:.1f} on {machine['cores']} "
            "cores): other work shares the CPU, so every figure may be low.[/]"
        )
    for result in results:
        for table in result.tables:
            console.print(_render(table))
    goals = [goal for result in results for goal in result.goals]
    missed = [goal for goal in goals if not goal.met]
    verdict = "[bold green]all goals met[/]" if not missed else f"[bold red]{len(missed)} missed[/]"
    console.print(f"Goals: {len(goals) - len(missed)} of {len(goals)} met; {verdict}.")
