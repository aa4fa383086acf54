"""Processes of a benchmarked server, read from /proc: which processes a server is, and how much CPU
they used. Reads only; never signals a process."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """A process's children, from /proc (every thread's list: a child may be any thread's)."""
    found: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in tasks.read_text().split())
        except OSError:
            continue  # the thread ended while we looked
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (a process that ended counts 0)."""
    total = 0
    for pid in pids:
        try:
            # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of stat
    return total / _TICKS_PER_S
