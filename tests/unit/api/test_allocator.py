"""The api's allocator keeps 1 MiB buffers in its heap: a process that makes and frees them again
and again faults in their pages once, not on every round (each round in its own interpreter, as each
api worker is)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from enclave.api.allocator import keep_large_buffers

#: Makes and frees 200 buffers of 1 MiB (as 200 uploads would) and prints the page faults it took.
ROUNDS = """
import os, resource, sys
from enclave.api.allocator import keep_large_buffers
if sys.argv[1] == "tuned":
    assert keep_large_buffers()
segment = os.urandom(1024 * 1024)
bytes(bytearray(segment))  # the first round may fault its pages in
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    bytes(bytearray(segment))
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="tunes glibc's allocator only")


def _faults(mode: str) -> int:
    done = subprocess.run(  # this interpreter, a fixed program
        [sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return int(done.stdout)


@glibc_only
def test_glibc_takes_both_settings() -> None:
    assert keep_large_buffers() is True


@glibc_only
def test_freed_buffers_are_reused_without_faulting_pages_in_again() -> None:
    untuned, tuned = _faults("default"), _faults("tuned")
    pages_per_round = 2 * 1024 * 1024 // 4096  # two 1 MiB buffers per round
    assert untuned > 100 * pages_per_round  # glibc's default: most rounds map fresh pages
    assert tuned < 10 * pages_per_round  # tuned: at most a few rounds' worth in all
