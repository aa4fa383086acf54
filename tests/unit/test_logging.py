"""An exception is logged as its type and frames, never its message: a message can quote a label, an
item's name, a parameter or a token."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from enclave.logging import configure_logging

MARKER = "patient-4711-secret.png"


def fail() -> None:
    raise ValueError(f"{MARKER} is not uploaded")


def test_a_structlog_exception_keeps_type_and_frames_not_message(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    try:
        try:
            fail()
        except ValueError as error:
            raise RuntimeError(f"while reading {MARKER}") from error
    except RuntimeError:
        structlog.get_logger("t").exception("job_failed", job_id="j1")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert MARKER not in line
    event = json.loads(line)
    assert event["event"] == "job_failed"
    assert [cause["type"] for cause in event["exception"]] == ["builtins.RuntimeError", "builtins.ValueError"]
    assert any(frame.endswith(" in fail") for frame in event["exception"][1]["frames"])


def test_a_standard_library_exception_is_logged_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    try:
        fail()
    except ValueError:
        logging.getLogger("sqlalchemy.pool").exception("connection failed")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert MARKER not in line
    assert json.loads(line)["exception"][0]["type"] == "builtins.ValueError"
