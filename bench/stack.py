"""The real services a benchmark runs against: the local stack (started if needed, migrations applied)
and a real api process over HTTPS in production mode, where only real authentication exists.

Reuses the suites' ``tests.integration.stack`` and ``tests.support.api_process``, so both start the
stack, migrate it and run the api the same way. Must never switch the api to test mode or weaken its
TLS: a benchmark measures what a customer would run.
"""

from __future__ import annotations

from tests.integration.stack import Stack, ensure_stack_up, migrate
from tests.support.api_process import running_api

START_TIMEOUT_S = 60


def prepared_stack() -> Stack:
    """The running stack (``scripts/stack up`` if it is not), with the database migrated."""
    stack = Stack(ensure_stack_up())
    migrate(stack)
    return stack


__all__ = ["prepared_stack", "running_api"]
