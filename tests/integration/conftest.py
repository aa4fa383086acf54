"""Integration fixtures: the real stack, started once per session (or reused), and its clients."""

from __future__ import annotations

import pytest

from tests.integration.stack import Stack, ensure_stack_up, migrate


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack(ensure_stack_up())


@pytest.fixture(scope="session")
def migrated(stack: Stack) -> Stack:
    migrate(stack)
    return stack
