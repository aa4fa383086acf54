"""The facts that make a benchmark's figures comparable: the machine, the pinned stack versions and
the source revision they were measured on. Reads only; never changes the machine or the repository."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "scripts" / "versions.env"
_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S+)$")


def _proc(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpuinfo(key: str) -> str | None:
    for line in _proc("/proc/cpuinfo").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def machine_facts() -> dict[str, Any]:
    mem_kib = next(
        (
            int(line.split()[1])
            for line in _proc("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        None,
    )
    flags = (_cpuinfo("flags") or "").split()
    return {
        "cpu_model": _cpuinfo("model name") or platform.processor() or None,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        # A virtual machine's cores may be shared with other guests: figures vary more there.
        "virtualized": "hypervisor" in flags,
        "memory_bytes": mem_kib * 1024 if mem_kib is not None else None,
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def pinned_versions(path: Path = VERSIONS) -> dict[str, str]:
    """The ``NAME=value`` pins of ``scripts/versions.env`` (MinIO, OpenBao, Keycloak, ...); port
    defaults (``: "${X_PORT:=...}"``) are not versions and are left out."""
    pins = {}
    for line in path.read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def source_revision() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    return {"commit": commit or None, "dirty": bool(git("status", "--porcelain")) if commit else None}
