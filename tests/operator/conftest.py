"""The operator suite's cluster: a real kube-apiserver with etcd (``tests.support.kube``), the chart's
CRDs, and the chart's operator RBAC and peering object as the real helm renders them; behind the
operator, the stack's real PostgreSQL, OpenBao, Keycloak and MinIO."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.stack import Stack
from tests.operator.cluster import new_namespace
from tests.support.kube import OPERATOR_NAMESPACE, KubeAPI, kube_api  # noqa: F401 - the session fixture

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "enclave"
#: The chart templates that give the operator its rights and its peering object.
OPERATOR_TEMPLATES = ("templates/operator-rbac.yaml", "templates/operator-peering.yaml")


def render_operator_templates(cluster: KubeAPI) -> bytes:
    command = [
        str(cluster.bin_dir / "helm"),
        "template",
        "enclave",
        str(CHART),
        "--namespace",
        OPERATOR_NAMESPACE,
    ]
    for template in OPERATOR_TEMPLATES:
        command += ["--show-only", template]
    return subprocess.run(command, check=True, capture_output=True, timeout=120).stdout


@pytest.fixture(scope="session")
def operator_cluster(kube_api: KubeAPI, migrated: Stack) -> KubeAPI:  # noqa: F811 - kube_api is a fixture
    """The API server with the CRDs established and the operator's rights granted as the chart grants
    them (so an RBAC mistake in the chart fails these tests)."""
    kube_api.kubectl("apply", "--server-side", "-f", str(CHART / "crds"))
    kube_api.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/organizations.enclave.dev",
        "crd/clusterkopfpeerings.kopf.dev",
        "crd/kopfpeerings.kopf.dev",
    )
    kube_api.kubectl("create", "namespace", OPERATOR_NAMESPACE)
    kube_api.kubectl("apply", "-n", OPERATOR_NAMESPACE, "-f", "-", input=render_operator_templates(kube_api))
    return kube_api


@pytest.fixture
def namespace(operator_cluster: KubeAPI) -> str:
    return new_namespace(operator_cluster)
