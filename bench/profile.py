"""``python -m bench.profile [labeling [TASKS] [--large] | storage | audit]``: where the api (or the
audit service) spends its time on a benchmark's workload.

``labeling`` runs Enclave's side of ``bench.labeling`` (import, 16 annotators, listing, export)
against an api started under pyinstrument, which follows the event loop's coroutines: the call tree
and the flat list of the hottest functions go beside the results, ``bench/results/profile-labeling.txt``
and ``profile-labeling-flat.txt``. With ``--large`` it is the head-to-head's large round instead (the
project filled to 100,000 tasks, 1,000,000 annotation versions and nine more organizations around
it, then 16 annotators on 2,000 new tasks): ``profile-labeling-large.txt`` and its flat list.

``storage`` runs ``bench.storage`` (1 MiB and 100 MiB uploads and downloads, with the raw and relayed
requests between them) against an api sampled by py-spy instead: there the work is in the threads
that seal, open and move the bytes, which pyinstrument does not see. py-spy samples every thread with
its native frames, so a thread waiting (in epoll, on a lock or a condition) is told from one working;
``profile-storage.txt`` splits the working samples by thread and lists the hottest functions of each,
``profile-storage-flat.txt`` the hottest by their own time.

``audit`` runs ``bench.audit`` with its three timed appends profiled by pyinstrument: the audit
service's loops run in the benchmark's own process there (``profile-audit.txt`` and its flat list).

For the api, it is one worker process, so one profile holds every request. A benchmark's goal
that is missed is explained with these (issues 8 and 21).

``python -m bench.profile --serve OUT`` and ``--serve-sampled OUT`` are what the api process itself
runs: the api under the profiler until it is stopped (SIGTERM), then the samples written to OUT.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from pyinstrument.session import Session
from rich.console import Console
from rich.progress import Progress

from bench import audit as bench_audit
from bench.core import Context
from bench.enclave_platform import Enclave
from bench.labeling import ANNOTATORS, Figures, Round, measure, rounds
from bench.platform import Background
from bench.stack import prepared_stack
from bench.storage import StorageBenchmark

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
#: Sampling interval: fine enough for requests of a few milliseconds.
INTERVAL_S = 0.0005
SESSION = "profile.pyisession"
#: py-spy's raw samples of the sampled api (one line per distinct stack: frames, then a count).
SAMPLES = "profile.spy"
#: py-spy's rate: every thread is sampled this often a second (with native frames, so not faster).
SAMPLE_RATE = 200
#: py-spy from this environment (the dev group installs it).
PY_SPY = Path(sys.executable).with_name("py-spy")
#: Innermost native frames of a thread that is waiting, not working: the event loop in epoll, a
#: worker thread on its condition or lock, the supervisor's pipe.
WAITING = re.compile(
    r"^(epoll_wait|epoll_pwait|poll|ppoll|select|pselect6?|__futex_abstimed_wait\w*|futex_wait\w*|"
    r"do_futex_wait\w*|pthread_cond_\w*wait\w*|sem_\w*wait\w*|__new_sem_wait\w*|nanosleep|clock_nanosleep|"
    r"accept4?|recv|read|__libc_read) "
)
HOTTEST = 25
#: A frame in at least this share of a thread's working samples is one of its outer frames.
COMMON = 0.9


def serve(out: Path) -> None:
    """The api in this process, sampled until SIGTERM; then the profile goes to ``out``."""
    from enclave.api.__main__ import main  # the api is imported only in the profiled process

    profiler = Profiler(interval=INTERVAL_S, async_mode="disabled")

    def start_over(*_: object) -> None:
        """SIGUSR1: what was sampled so far is dropped (a large round's seeding, not measured)."""
        profiler.stop()
        profiler.reset()  # type: ignore[no-untyped-call]  # pyinstrument leaves it unannotated
        profiler.start()

    signal.signal(signal.SIGUSR1, start_over)
    profiler.start()
    try:
        main()
    finally:
        # Only saved here (rendering takes longer than a stop may wait); ``render`` makes the text.
        out.mkdir(parents=True, exist_ok=True)
        profiler.stop().save(out / SESSION)


def serve_sampled(out: Path) -> None:
    """The api in this process, with py-spy sampling every thread of it until SIGTERM; then the
    samples go to ``out``."""
    from enclave.api.__main__ import main  # the api is imported only in the sampled process

    out.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(  # noqa: S603 — py-spy from this venv, on this process
        [str(PY_SPY), "record", "--pid", str(os.getpid()), "--threads",
         "--native", "--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(out / SAMPLES)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        main()  # uvicorn turns SIGTERM into a graceful return
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy stops on Ctrl-C and writes what it sampled
        spy.wait(timeout=120)


def _samples(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """Each distinct stack py-spy saw: its thread's name, its frames (outermost first) and how often."""
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread, *frames = stack.split(";")
        name = thread.split(": ", 1)[-1]
        yield name, [re.sub(r":\d+\)$", ")", frame) for frame in frames], int(count)


def _waiting(thread: str, frames: list[str]) -> bool:
    """Whether a sample shows its thread waiting rather than working: blocked on a lock or condition
    (a worker thread between jobs, or one waiting for the GIL), the event loop in its poll, or
    uvicorn's liveness thread, which only ever waits on its pipe. libc's symbols are not always
    resolved, so a wait is also known by the frame that called into libc."""
    if not frames or "always_pong" in thread or WAITING.match(frames[-1]):
        return True
    if any(frame.startswith(("PyThread_acquire_lock_timed ", "take_gil ")) for frame in frames):
        return True
    return len(frames) > 1 and frames[-2].startswith("uv__io_poll ") and "(libc.so" in frames[-1]


def _role(thread: str) -> str:
    if thread == "MainThread":
        return "event loop (MainThread)"
    if thread.startswith("AnyIO worker thread"):
        return "worker threads (storage and sealing, anyio.to_thread)"
    return f"other: {thread}"


def render_sampled(out: Path, workload: str) -> None:
    """``profile-<workload>.txt``: the working samples by thread and, for each kind of thread, its
    hottest functions (inclusive); ``-flat.txt``: the hottest functions by their own samples."""
    saved = out / SAMPLES
    total = waiting = 0
    by_role: collections.Counter[str] = collections.Counter()
    inclusive: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    own: collections.Counter[str] = collections.Counter()
    for thread, frames, count in _samples(saved):
        total += count
        if _waiting(thread, frames):
            waiting += count
            continue
        role = _role(thread)
        by_role[role] += count
        for frame in set(frames):
            inclusive[role][frame] += count
        own[frames[-1]] += count
    busy = sum(by_role.values())
    version = subprocess.run(  # noqa: S603 — the same py-spy, asked its version
        [str(PY_SPY), "--version"], capture_output=True, text=True
    ).stdout.strip()
    head = [
        f"{version}: every thread of the api, native frames included, {SAMPLE_RATE} samples a second",
        f"over `python -m bench.profile {workload}` (the api's start included). {total} samples, of "
        f"which {waiting} waiting (in the event loop's poll, on a lock, a condition or the GIL) and "
        f"{busy} working.",
        "",
        "Working samples by thread:",
        *(f"  {n / busy:6.1%}  {role}" for role, n in by_role.most_common()),
    ]
    lines = list(head)
    for role, n in by_role.most_common():
        # The frames nearly every sample of the thread has (its start, the event loop's run) say
        # nothing of where its time goes; the list starts below them.
        below = [(f, c) for f, c in inclusive[role].most_common() if c < COMMON * n][: HOTTEST * 2]
        lines += ["", f"{role}: hottest functions, inclusive, as a share of all working samples"]
        lines += [f"  {c / busy:6.1%}  {frame}" for frame, c in below]
    flat = [*head, "", "Hottest functions by their own samples (the innermost frame), share of all working:"]
    flat += [f"  {c / busy:6.1%}  {frame}" for frame, c in own.most_common(HOTTEST * 2)]
    for name, text in ((f"profile-{workload}.txt", lines), (f"profile-{workload}-flat.txt", flat)):
        # Paths relative to the checkout: the files are committed, and say nothing of this machine.
        (out / name).write_text("\n".join(text).replace(f"{ROOT}/", "") + "\n")
    saved.unlink()


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


def _plan(tasks: int, *, large: bool) -> list[Round]:
    """``tasks`` image tasks taken and submitted by 16 annotators, then exported; or, ``large``, the
    head-to-head's large round alone: its project filled to 100,000 tasks, 1,000,000 annotation
    versions and nine more organizations around it, before ``tasks`` new ones are annotated."""
    if not large:
        return [Round("default", tasks, ANNOTATORS, export=True)]
    return [replace(rounds(quick=False)[-1], images=tasks)]


class _Seeded(Enclave):
    """Enclave whose profiled api starts its profile over once the large round's seeding is done, so
    the profile holds the measured requests only."""

    async def add_background(self, background: Background) -> None:
        await super().add_background(background)
        (profiled, *_), *_ = self.replica_pids()
        os.kill(profiled, signal.SIGUSR1)


async def _labeling(plan: list[Round], out: Path, context: Context, command: tuple[str, ...]) -> None:
    # One worker: the profile then holds every request (the supervisor would hold none).
    platform = _Seeded(context.stack, out, api_command=command, api_settings={"ENCLAVE_API_WORKERS": "1"})
    try:
        measured = await measure(platform, plan, context)
    finally:
        await platform.close()
    context.console.print(
        {name: f.summary() if isinstance(f, Figures) else f for name, f in measured.items()}
    )


def _audit(context: Context, out: Path) -> None:
    """``bench.audit`` as ``make bench`` runs it, its timed appends (the audit service's own loops,
    which run in this process) profiled on the event loop's thread; the rest (the plain INSERTs it
    compares them with, the chain made up to 1,000,000 records, the verification) is not."""
    profiler = Profiler(interval=INTERVAL_S, async_mode="disabled")
    timed = bench_audit._append
    remaining = bench_audit.APPEND_REPEATS

    async def profiled(*args: Any, **kwargs: Any) -> float:
        nonlocal remaining
        if remaining == 0:
            return await timed(*args, **kwargs)
        remaining -= 1
        profiler.start()
        try:
            return await timed(*args, **kwargs)
        finally:
            profiler.stop()  # the next start adds to the same session

    bench_audit._append = profiled
    try:
        result = bench_audit.AuditBenchmark().run(context)
    finally:
        bench_audit._append = timed
    for table in result.tables:
        context.console.print(table.title, *table.rows, sep="\n")
    out.mkdir(parents=True, exist_ok=True)
    profiler.last_session.save(out / SESSION)


def _profile(workload: str, tasks: int, out: Path, *, large: bool) -> None:
    stack = prepared_stack()
    console = Console()
    name = "labeling-large" if workload == "labeling" and large else workload
    with Progress(console=console) as progress:
        context = Context(stack, out, console, progress)
        if workload == "labeling":
            command = (sys.executable, "-m", "bench.profile", "--serve", str(out))
            asyncio.run(_labeling(_plan(tasks, large=large), out, context, command))
        elif workload == "audit":
            _audit(context, out)
        else:
            command = (sys.executable, "-m", "bench.profile", "--serve-sampled", str(out))
            benchmark = StorageBenchmark(api_command=command, api_settings={"ENCLAVE_API_WORKERS": "1"})
            for table in benchmark.run(context).tables:
                console.print(table.title, *table.rows, sep="\n")
    if workload == "storage":
        render_sampled(out, name)
    else:
        render(out, name)
    console.print(f"profile: {out / f'profile-{name}.txt'} and {out / f'profile-{name}-flat.txt'}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", choices=("labeling", "storage", "audit"), default="labeling")
    parser.add_argument(
        "tasks", nargs="?", type=int, default=2000, help="image tasks (labeling; default 2000)"
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help="labeling at the large scale (profile-labeling-large.txt): the project filled to "
        "100,000 tasks, 1,000,000 annotation versions and nine more organizations first",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-sampled", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None or arguments.serve_sampled is not None:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: finally runs
        if arguments.serve is not None:
            serve(arguments.serve)
        else:
            serve_sampled(arguments.serve_sampled)
        return
    _profile(arguments.workload, arguments.tasks, RESULTS, large=arguments.large)


if __name__ == "__main__":
    main()
