"""What the audit service's process does once, before its loops start.

Owns one process-wide setting, so that the service class itself changes nothing outside it.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Moves what the process holds for its lifetime (modules, clients, settings) out of the garbage
    collector's sight. Each full collection would otherwise walk all of it again: a seventh of the
    service's CPU time while appending (docs/performance.md). Cyclic garbage is collected first,
    so none of it is kept for good."""
    gc.collect()
    gc.freeze()
