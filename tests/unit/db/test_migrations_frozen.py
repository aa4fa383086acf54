"""Migrations import no application module: what they need is frozen into their own file. Where the
application keeps a copy of the same definition, these tests hold the two to each other."""

from __future__ import annotations

import ast
import importlib.util
import pathlib
from types import ModuleType

from enclave.audit_trail import guard

VERSIONS = pathlib.Path(__file__).parents[3] / "services" / "enclave" / "db" / "migrations" / "versions"


def _load(name: str) -> ModuleType:
    path = next(VERSIONS.glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_migration_imports_the_application() -> None:
    offenders = []
    for path in sorted(VERSIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "enclave"]
    assert offenders == []


def test_the_audit_guard_reads_as_migration_0009_made_it() -> None:
    migration = _load("0009")
    assert migration.NAME == guard.NAME
    assert migration.CONDITION == guard.CONDITION
