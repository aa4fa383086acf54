"""The rendered chart is accepted by the real API server, server-side, in a namespace that enforces
Pod Security "restricted": with --warnings-as-errors, one PodSecurity warning on any workload fails it.
The CRDs are applied for real first, as helm installs them."""

from __future__ import annotations

import secrets

import pytest
import yaml

from tests.chart.conftest import VALUES
from tests.chart.tools import Helm
from tests.support.kube import KubeAPI, KubectlFailed


def restricted_namespace(kube_api: KubeAPI) -> str:
    name = f"chart-{secrets.token_hex(4)}"
    kube_api.kubectl("create", "namespace", name)
    kube_api.kubectl(
        "label",
        "namespace",
        name,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/enforce-version=latest",
        "pod-security.kubernetes.io/warn=restricted",
    )
    return name


def namespaces_named_in(values: str) -> list[str]:
    names: list[str] = []
    for path in VALUES[values]:
        names += (yaml.safe_load(path.read_text()).get("operator") or {}).get("namespaces") or []
    return names


def dry_run(kube_api: KubeAPI, manifests: str) -> str:
    """Every object carries its namespace (the release's, or a tenant's for the operator's Roles)."""
    result = kube_api.kubectl(
        "--warnings-as-errors", "apply", "--dry-run=server", "-f", "-", input=manifests.encode()
    )
    return result.stdout.decode()


@pytest.mark.usefixtures("crds_applied")
@pytest.mark.parametrize("values", sorted(VALUES))
def test_server_side_dry_run_in_a_restricted_namespace(kube_api: KubeAPI, helm: Helm, values: str) -> None:
    namespace = restricted_namespace(kube_api)
    # The operator's per-namespace Roles and peerings go into the tenant namespaces values name.
    for tenant in namespaces_named_in(values):
        kube_api.kubectl("create", "namespace", tenant, check=False)
    manifests = helm.template(namespace, *VALUES[values])
    out = dry_run(kube_api, manifests)
    kinds = {d["kind"] for d in yaml.safe_load_all(manifests) if d}
    assert out.count("(server dry run)") == sum(1 for d in yaml.safe_load_all(manifests) if d)
    assert {"Deployment", "NetworkPolicy", "ClusterRole"} <= kinds


@pytest.mark.usefixtures("crds_applied")
def test_dry_run_fails_on_a_pod_security_violation(kube_api: KubeAPI, helm: Helm) -> None:
    """The check above can fail: one container allowed to escalate privileges is refused."""
    namespace = restricted_namespace(kube_api)
    rendered = helm.template(namespace)
    broken = rendered.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1)
    assert broken != rendered
    with pytest.raises(KubectlFailed) as failure:
        dry_run(kube_api, broken)
    assert "allowPrivilegeEscalation" in str(failure.value)
