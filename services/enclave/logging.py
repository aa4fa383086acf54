"""Structured JSON logs for every Enclave process.

Owns the structlog configuration: one JSON object per line on stdout, ISO timestamps, the level,
and whatever is bound in the context (``request_id`` above all). Must never log a secret or customer
content; callers log identifiers and outcomes only.

An exception is logged as its type and its frames (file, line, function), never its message or
its arguments: a message can quote whatever the failing code held — a label, an item's name, a
database parameter, a token (``exception_frames``).
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog

#: How many causes (``raise ... from``, or an exception raised while handling another) are followed.
_CAUSES = 5


def exception_frames(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replaces ``exc_info`` by the exception's type and frames, and those of its causes.

    structlog's ``format_exc_info`` would print the whole traceback, messages included; writing it
    by hand keeps what an operator needs to find the line and nothing a message could carry."""
    info = event.pop("exc_info", None)
    if not info:
        return event
    if info is True:
        info = sys.exc_info()
    error = info if isinstance(info, BaseException) else info[1]
    chain: list[dict[str, Any]] = []
    while error is not None and len(chain) < _CAUSES:
        kind = type(error)
        chain.append(
            {
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "frames": [
                    f"{frame.filename}:{frame.lineno} in {frame.name}"
                    for frame in traceback.extract_tb(error.__traceback__)
                ],
            }
        )
        error = error.__cause__ or error.__context__
    event["exception"] = chain
    return event


def configure_logging(level: int = logging.INFO) -> None:
    """Send structlog and the standard library's records through one JSON renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, exception_frames, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                exception_frames,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
