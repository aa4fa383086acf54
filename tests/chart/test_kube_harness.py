"""The test API server every kube suite runs on (tests/support/kube.py) is what it claims: the admin
is a cluster admin, the operator's identity is the chart's ServiceAccount with no rights until RBAC
grants them, and namespaces enforce Pod Security when labelled."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.support.kube import OPERATOR_GROUPS, OPERATOR_USER, ROOT, KubeAPI


def whoami(kube_api: KubeAPI, kubeconfig: str) -> dict[str, object]:
    out = kube_api.kubectl("auth", "whoami", "-o", "json", kubeconfig=getattr(kube_api, kubeconfig)).stdout
    user: dict[str, object] = json.loads(out)["status"]["userInfo"]
    return user


def test_server_reports_the_pinned_version(kube_api: KubeAPI) -> None:
    version = json.loads(kube_api.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.37.2"
    assert version["clientVersion"]["gitVersion"] == "v1.37.2"


def test_admin_is_a_cluster_admin(kube_api: KubeAPI) -> None:
    assert "system:masters" in whoami(kube_api, "admin_kubeconfig")["groups"]  # type: ignore[operator]
    assert kube_api.kubectl("auth", "can-i", "*", "*").stdout.decode().strip() == "yes"


def test_operator_identity_is_the_service_account_with_no_rights_of_its_own(kube_api: KubeAPI) -> None:
    user = whoami(kube_api, "operator_kubeconfig")
    assert user["username"] == OPERATOR_USER
    assert set(OPERATOR_GROUPS) <= set(user["groups"])  # type: ignore[call-overload]
    denied = kube_api.kubectl(
        "get", "secrets", "-n", "kube-system", kubeconfig=kube_api.operator_kubeconfig, check=False
    )
    assert denied.returncode == 1
    assert b"Forbidden" in denied.stderr


def test_kube_tools_returns_at_once_when_cached(tools_dir: Path) -> None:
    """The second run (the fixture made the first) builds nothing and prints the same folder."""
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "scripts" / "kube-tools")], capture_output=True, text=True, check=True, timeout=60
    )
    assert time.monotonic() - started < 1.0
    assert result.stdout.strip() == str(tools_dir)
    assert result.stderr == ""  # nothing was built, so nothing was logged
