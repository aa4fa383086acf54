"""An exception is logged as its type and frames, never its message: a message can quote a label, an
item's name, a parameter or a token."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from enclave.logging import configure_logging

MARKER = "patient-4711-secret.png"


def fail() -> None:
    raise ValueError(f"{MARKER} is not uploaded")


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The logging configuration of every Enclave process, writing into a buffer for this test only;
    the configuration before it is put back after (other tests' loggers must not write to a stream
    this test owned)."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        configure_logging()
    yield out
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


def last_line(out: io.StringIO) -> str:
    return out.getvalue().strip().splitlines()[-1]


def test_a_structlog_exception_keeps_type_and_frames_not_message(logged: io.StringIO) -> None:
    try:
        try:
            fail()
        except ValueError as error:
            raise RuntimeError(f"while reading {MARKER}") from error
    except RuntimeError:
        structlog.get_logger("t").exception("job_failed", job_id="j1")
    line = last_line(logged)
    assert MARKER not in line
    event = json.loads(line)
    assert event["event"] == "job_failed"
    assert [cause["type"] for cause in event["exception"]] == ["builtins.RuntimeError", "builtins.ValueError"]
    assert any(frame.endswith(" in fail") for frame in event["exception"][1]["frames"])


def test_a_standard_library_exception_is_logged_the_same_way(logged: io.StringIO) -> None:
    try:
        fail()
    except ValueError:
        logging.getLogger("sqlalchemy.pool").exception("connection failed")
    line = last_line(logged)
    assert MARKER not in line
    assert json.loads(line)["exception"][0]["type"] == "builtins.ValueError"
