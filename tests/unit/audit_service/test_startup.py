"""The audit service's process freezes what it holds at start, after collecting its garbage."""

from __future__ import annotations

import gc
import weakref

from enclave.audit_service.startup import freeze_startup_objects


class _Node:
    me: _Node


def test_startup_objects_are_frozen_and_cyclic_garbage_is_not() -> None:
    kept = _Node()
    kept.me = kept
    dropped = _Node()
    dropped.me = dropped
    gone = weakref.ref(dropped)
    del dropped
    try:
        freeze_startup_objects()
        assert gone() is None  # the cycle was collected, not frozen for good
        assert gc.get_freeze_count() > 0
        assert kept.me is kept
    finally:
        gc.unfreeze()  # the test process goes on as it was
