"""Test-wide fixtures: the repository root and the stack's settings, shared by every suite."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.support.stack_fixtures"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_report_header() -> str:
    from tests.integration.stack import PROVIDER

    return f"integration service provider: {PROVIDER}"
