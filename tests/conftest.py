"""Test-wide fixtures: the repository root and the stack's settings, shared by every suite."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support import evidence

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.support.stack_fixtures"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_report_header() -> str:
    from tests.integration.stack import PROVIDER

    return f"integration service provider: {PROVIDER}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The security evidence's figures (``tests.support.evidence``), when any test counted one."""
    counted = evidence.counted()
    if not counted:
        return
    terminalreporter.section("security evidence")
    for name, goal in evidence.FIGURES.items():
        value = counted.get(name)
        shown = "not run" if value is None else str(value)
        terminalreporter.write_line(f"{name:<34} {shown:>10}" + (f"   (goal {goal})" if goal else ""))
    target = os.environ.get("ENCLAVE_EVIDENCE_FILE")
    if target:
        Path(target).write_text(json.dumps(counted, indent=1, sort_keys=True) + "\n")
