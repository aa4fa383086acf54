"""Walks the v1 route table (``V1_CONTROLLERS``, as ``scripts/authz-matrix`` sees it) and fails on any
route that names no ``Permission``, no ``Target``, a target its path cannot supply or its permission's
scope cannot use, or an ``operation_id`` that is missing or shared; and fails when docs/authorization.md
is stale. It reads the routes only: what each permission allows is ``test_policy``'s concern.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from litestar.handlers import HTTPRouteHandler

from enclave.api.v1.routes import V1_CONTROLLERS
from enclave.authz import policy
from enclave.authz.permissions import Permission
from enclave.authz.policy import Rule
from enclave.domain.roles import OrgRole, ProjectRole
from enclave.web.guard import Target

#: The path parameter the guard reads to load each kind of target.
TARGET_PARAMETER = {
    Target.PROJECT: "{project_id:",
    Target.PROJECT_MEMBER: "{project_id:",
    Target.TASK: "{task_id:",
    Target.MEMBER: "{user_id:",
    Target.API_KEY: "{key_id:",
}
#: Targets that carry the facts a permission's scope needs (see ``enclave.authz.permissions``).
TARGETS_FOR_SCOPE = {
    "org": set(Target),
    "project": {Target.PROJECT, Target.PROJECT_MEMBER, Target.TASK},
    # An item's content is reached through the tasks on it: the guard loads each one's facts.
    "task": {Target.TASK, Target.ITEM},
}


@pytest.fixture(scope="module")
def authz_matrix(repo_root: Path) -> ModuleType:
    """``scripts/authz-matrix``, imported as a module (it has no ``.py`` suffix)."""
    script = repo_root / "scripts" / "authz-matrix"
    loader = importlib.machinery.SourceFileLoader("authz_matrix", str(script))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # as an import would: its dataclasses look themselves up there
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def routes(authz_matrix: ModuleType) -> list[Any]:
    entries: list[Any] = authz_matrix.v1_routes()
    return entries


def _name(route: Any) -> str:
    return f"{route.method} {route.path} ({route.handler})"


class TestRouteTable:
    def test_the_walk_finds_every_declared_handler(self, routes: list[Any]) -> None:
        # Guards against a walk that silently skips routes and so makes every check below vacuous.
        declared = sum(
            len(handler.http_methods)
            for controller in V1_CONTROLLERS
            for handler in (getattr(controller, name) for name in dir(controller))
            if isinstance(handler, HTTPRouteHandler)
        )
        assert declared > 0
        assert len(routes) == declared

    def test_every_route_names_a_permission(self, routes: list[Any]) -> None:
        assert [_name(r) for r in routes if not isinstance(r.permission, Permission)] == []

    def test_every_route_names_a_target(self, routes: list[Any]) -> None:
        assert [_name(r) for r in routes if not isinstance(r.target, Target)] == []

    def test_every_route_has_an_operation_id(self, routes: list[Any]) -> None:
        assert [_name(r) for r in routes if not (isinstance(r.operation_id, str) and r.operation_id)] == []

    def test_no_two_routes_share_an_operation_id(self, routes: list[Any]) -> None:
        counts = Counter(r.operation_id for r in routes)
        assert {op: n for op, n in counts.items() if n > 1} == {}

    def test_the_path_supplies_the_targets_id(self, routes: list[Any]) -> None:
        assert [
            _name(r)
            for r in routes
            if r.target in TARGET_PARAMETER and TARGET_PARAMETER[r.target] not in r.path
        ] == []

    def test_the_target_carries_the_facts_the_permissions_scope_needs(self, routes: list[Any]) -> None:
        # A task permission checked on a project (or an organization) would know nothing of the
        # assignment: every annotator would be denied, or a lax rule would let them all through.
        assert [
            f"{_name(r)}: {r.permission} on {r.target}"
            for r in routes
            if isinstance(r.permission, Permission) and r.target not in TARGETS_FOR_SCOPE[r.permission.scope]
        ] == []


class TestAuthorizationDoc:
    def test_the_doc_is_current(self, authz_matrix: ModuleType) -> None:
        assert authz_matrix.main(["--check"]) == 0, "docs/authorization.md is stale: run scripts/authz-matrix"

    def test_check_fails_on_a_stale_or_missing_doc(
        self, authz_matrix: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        doc = tmp_path / "docs" / "authorization.md"
        monkeypatch.setattr(authz_matrix, "DOC", doc)
        assert authz_matrix.main(["--check"]) == 1
        assert authz_matrix.main([]) == 0
        assert authz_matrix.main(["--check"]) == 0
        doc.write_text(doc.read_text(encoding="utf-8").replace("✓", "—", 1), encoding="utf-8")
        assert authz_matrix.main(["--check"]) == 1

    def test_the_script_runs_as_a_program(self, repo_root: Path) -> None:
        result = subprocess.run(
            [sys.executable, str(repo_root / "scripts" / "authz-matrix"), "--check"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr

    def test_the_matrix_follows_the_policy(
        self, authz_matrix: ModuleType, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The cells are answers of `can`, not a copy of the rules: change a rule and the cell changes.
        assert authz_matrix.org_role_cell(Permission.ORG_ONTOLOGY_UPDATE, OrgRole.TASKER) == "—"
        monkeypatch.setitem(policy.RULES, Permission.ORG_ONTOLOGY_UPDATE, Rule(org_roles=frozenset(OrgRole)))
        assert authz_matrix.org_role_cell(Permission.ORG_ONTOLOGY_UPDATE, OrgRole.TASKER) == "✓"

    @pytest.mark.parametrize(
        ("permission", "role", "cell"),
        [
            (Permission.TASK_TASK_READ, ProjectRole.ANNOTATOR, "assigned"),
            (Permission.TASK_TASK_READ, ProjectRole.REVIEWER, "reviewing"),
            (Permission.TASK_TASK_READ, ProjectRole.ANNOTATOR_REVIEWER, "assigned, reviewing"),
            (Permission.TASK_TASK_ASSIGN, ProjectRole.TEAM_MANAGER, "✓"),
            (Permission.TASK_TASK_ASSIGN, ProjectRole.ANNOTATOR, "—"),
            (Permission.ORG_ONTOLOGY_UPDATE, ProjectRole.ADMIN, "—"),
            (Permission.ORG_MEMBER_READ, OrgRole.WORKFORCE_MANAGER, "taskers, self"),
            (Permission.ORG_MEMBER_READ, OrgRole.TASKER, "self"),
            (Permission.TASK_TASK_READ, OrgRole.ADMIN, "✓"),
            (Permission.TASK_TASK_READ, OrgRole.MEMBER, "—"),
        ],
    )
    def test_cells_name_the_condition(
        self, authz_matrix: ModuleType, permission: Permission, role: OrgRole | ProjectRole, cell: str
    ) -> None:
        if isinstance(role, OrgRole):
            assert authz_matrix.org_role_cell(permission, role) == cell
        else:
            assert authz_matrix.project_role_cell(permission, role) == cell
