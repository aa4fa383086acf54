"""Keeps the api's large buffers in its heap instead of fresh memory mappings.

An upload or a download moves its bytes through buffers of about a segment (1 MiB): what TLS hands
over, the segment being sealed or opened, the part sent to storage. glibc serves each allocation that
large with a new ``mmap`` and unmaps it when it is freed, so every request has the kernel fault in
and zero every page again: about 2.5 ms of the api's CPU time on each 1 MiB upload, measured with
``perf`` (docs/performance.md). Allocations up to ``MMAP_THRESHOLD`` from the heap, and up to
``TRIM_THRESHOLD`` of freed memory kept for the next request, end that.

Written by hand (``mallopt`` through ctypes) because no maintained library tunes glibc's allocator,
and its environment variables (``MALLOC_MMAP_THRESHOLD_``) would have to be set by every way the api
is started: each worker process calls this as it builds the app. Does nothing on another C library.
"""

from __future__ import annotations

import ctypes
import platform

#: ``mallopt`` parameters, from glibc's ``malloc.h``.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: The most glibc allows on 64-bit systems (``HEAP_MAX_SIZE / 2``): larger buffers are still mapped.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Freed memory kept at the top of the heap before it is returned to the system.
TRIM_THRESHOLD = 64 * 1024 * 1024


def keep_large_buffers() -> bool:
    """Tunes this process's allocator; True when it did (glibc accepted both settings)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the C library this process already runs on
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
