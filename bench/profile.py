"""``python -m bench.profile [TASKS]``: where the api spends its time on the head-to-head workload.

Runs Enclave's side of ``bench.labeling`` (import, 16 annotators, listing, export) against an api
started under pyinstrument (one worker process, so one profile holds every request), and writes the
call tree and the flat list of the hottest functions beside the results:
``bench/results/profile-api.txt`` and ``profile-api-flat.txt``. A benchmark's goal that is missed is
explained with these (issue 8).

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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
#: Sampling interval: fine enough for requests of a few milliseconds.
INTERVAL_S = 0.0005
SESSION = "profile-api.pyisession"


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


def render(out: Path) -> None:
    """The call tree and the flat list from the saved session (each rendering processes the tree in
    place, so each reads its own copy), then the session file goes."""
    saved = out / SESSION
    tree = ConsoleRenderer(unicode=False, color=False, show_all=False, time="percent_of_total")
    flat = ConsoleRenderer(unicode=False, color=False, flat=True, time="percent_of_total")
    for name, renderer in (("profile-api.txt", tree), ("profile-api-flat.txt", flat)):
        # Paths relative to the checkout: the files are committed, and say nothing of this machine.
        text = renderer.render(Session.load(saved)).replace(f"{ROOT}/", "")
        (out / name).write_text(text)
    saved.unlink()


async def _workload(tasks: int, out: Path) -> None:
    stack = prepared_stack()
    console = Console()
    command = (sys.executable, "-m", "bench.profile", "--serve", str(out))
    with Progress(console=console) as progress:
        context = Context(stack, out, console, progress)
        # One worker: the profile then holds every request (the supervisor would hold none).
        platform = Enclave(stack, out, api_command=command, api_settings={"ENCLAVE_API_WORKERS": "1"})
        try:
            measured = await measure(platform, [Round("default", tasks, ANNOTATORS, export=True)], context)
        finally:
            await platform.close()
    render(out)
    console.print({name: f.summary() if isinstance(f, Figures) else f for name, f in measured.items()})
    console.print(f"profile: {out / 'profile-api.txt'} and {out / 'profile-api-flat.txt'}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="?", type=int, default=2000, help="image tasks (default 2000)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: finally runs
        serve(arguments.serve)
        return
    asyncio.run(_workload(arguments.tasks, RESULTS))


if __name__ == "__main__":
    main()
