"""``python -m bench.profile [labeling [TASKS] | storage]``: where the api spends its time on a
benchmark's workload.

``labeling`` runs Enclave's side of ``bench.labeling`` (import, 16 annotators, listing, export);
``storage`` runs ``bench.storage`` (1 MiB and 100 MiB uploads and downloads, with the raw and relayed
requests between them). Either against an api started under pyinstrument (one worker process, so
one profile holds every request), and writes the call tree and the flat list of the hottest
functions beside the results: ``bench/results/profile-<workload>.txt`` and
``profile-<workload>-flat.txt``. A benchmark's goal that is missed is explained with these (issues 8
and 21).

``python -m bench.profile --serve OUT`` is what the api process itself runs: the api under the
profiler until it is stopped (SIGTERM), then both files written to OUT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from pyinstrument.session import Session
from rich.console import Console
from rich.progress import Progress

from bench.core import Context
from bench.enclave_platform import Enclave
from bench.labeling import ANNOTATORS, Figures, Round, measure
from bench.stack import prepared_stack
from bench.storage import StorageBenchmark

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
#: Sampling interval: fine enough for requests of a few milliseconds.
INTERVAL_S = 0.0005
SESSION = "profile.pyisession"


def serve(out: Path) -> None:
    """The api in this process, sampled until SIGTERM; then the profile goes to ``out``."""
    from enclave.api.__main__ import main  # the api is imported only in the profiled process

    profiler = Profiler(interval=INTERVAL_S, async_mode="disabled")
    profiler.start()
    try:
        main()
    finally:
        # Only saved here (rendering takes longer than a stop may wait); ``render`` makes the text.
        out.mkdir(parents=True, exist_ok=True)
        profiler.stop().save(out / SESSION)


def render(out: Path, workload: str) -> None:
    """The call tree and the flat list from the saved session (each rendering processes the tree in
    place, so each reads its own copy), then the session file goes."""
    saved = out / SESSION
    tree = ConsoleRenderer(unicode=False, color=False, show_all=False, time="percent_of_total")
    flat = ConsoleRenderer(unicode=False, color=False, flat=True, time="percent_of_total")
    for name, renderer in ((f"profile-{workload}.txt", tree), (f"profile-{workload}-flat.txt", flat)):
        # Paths relative to the checkout: the files are committed, and say nothing of this machine.
        text = renderer.render(Session.load(saved)).replace(f"{ROOT}/", "")
        (out / name).write_text(text)
    saved.unlink()


async def _labeling(tasks: int, out: Path, context: Context, command: tuple[str, ...]) -> None:
    # One worker: the profile then holds every request (the supervisor would hold none).
    platform = Enclave(context.stack, out, api_command=command, api_settings={"ENCLAVE_API_WORKERS": "1"})
    try:
        measured = await measure(platform, [Round("default", tasks, ANNOTATORS, export=True)], context)
    finally:
        await platform.close()
    context.console.print(
        {name: f.summary() if isinstance(f, Figures) else f for name, f in measured.items()}
    )


def _profile(workload: str, tasks: int, out: Path) -> None:
    stack = prepared_stack()
    console = Console()
    command = (sys.executable, "-m", "bench.profile", "--serve", str(out))
    with Progress(console=console) as progress:
        context = Context(stack, out, console, progress)
        if workload == "labeling":
            asyncio.run(_labeling(tasks, out, context, command))
        else:
            benchmark = StorageBenchmark(api_command=command, api_settings={"ENCLAVE_API_WORKERS": "1"})
            for table in benchmark.run(context).tables:
                console.print(table.title, *table.rows, sep="\n")
    render(out, workload)
    console.print(f"profile: {out / f'profile-{workload}.txt'} and {out / f'profile-{workload}-flat.txt'}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", choices=("labeling", "storage"), default="labeling")
    parser.add_argument(
        "tasks", nargs="?", type=int, default=2000, help="image tasks (labeling; default 2000)"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: finally runs
        serve(arguments.serve)
        return
    _profile(arguments.workload, arguments.tasks, RESULTS)


if __name__ == "__main__":
    main()
