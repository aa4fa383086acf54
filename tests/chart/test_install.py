"""A real helm install and upgrade on the test API server (no kubelet, so no pod runs and hooks are
left out): the installation's CA, certificates and generated credentials survive the upgrade (they are
read back with lookup), and the operator's RBAC grants exactly what it needs."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chart.tools import CHART, Helm
from tests.support.kube import KubeAPI

KEPT = (
    "ca",
    "api-tls",
    "postgresql-tls",
    "postgresql-credentials",
    "redis-credentials",
    "minio-credentials",
    "keycloak-credentials",
    "session",
)


@dataclass(frozen=True)
class Release:
    name: str  # also the nameOverride, so nothing clashes with another suite's objects
    namespace: str
    helm: Helm

    def secret(self, suffix: str, kube_api: KubeAPI) -> dict[str, str]:
        out = kube_api.kubectl(
            "get", "secret", f"{self.name}-{suffix}", "-n", self.namespace, "-o", "jsonpath={.data}"
        ).stdout.decode()
        data: dict[str, str] = json.loads(out)
        return data

    def tls_checksum(self, kube_api: KubeAPI) -> str:
        out = kube_api.kubectl(
            "get",
            "deployment",
            f"{self.name}-api",
            "-n",
            self.namespace,
            "-o",
            r"jsonpath={.spec.template.metadata.annotations.checksum/tls}",
        ).stdout.decode()
        assert out
        return out

    def upgrade_args(self, command: str) -> list[str]:
        return [
            command,
            self.name,
            str(CHART),
            "--namespace",
            self.namespace,
            "--no-hooks",
            # The CRDs are the crds_applied fixture's, applied the way charts/README.md says to
            # upgrade them (helm never upgrades a CRD itself).
            "--skip-crds",
            "--set",
            f"nameOverride={self.name}",
            "--timeout",
            "60s",
        ]


@pytest.fixture(scope="module")
def release(
    kube_api: KubeAPI, tools_dir: Path, tmp_path_factory: pytest.TempPathFactory, crds_applied: None
) -> Iterator[Release]:
    name = f"enc{secrets.token_hex(3)}"
    namespace = f"install-{name}"
    kube_api.kubectl("create", "namespace", namespace)
    kube_api.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    helm = Helm(tools_dir, tmp_path_factory.mktemp("helm-install"), kube_api.admin_kubeconfig)
    rel = Release(name, namespace, helm)
    helm(*rel.upgrade_args("install"))
    try:
        yield rel
    finally:
        helm("uninstall", name, "--namespace", namespace, "--no-hooks", check=False)


def test_upgrade_keeps_the_ca_certificates_and_credentials(release: Release, kube_api: KubeAPI) -> None:
    before = {suffix: release.secret(suffix, kube_api) for suffix in KEPT}
    rollout_before = release.tls_checksum(kube_api)
    assert before["ca"]["ca.crt"]
    assert before["ca"]["ca.key"]
    assert before["api-tls"]["ca.crt"] == before["ca"]["ca.crt"]
    release.helm(*release.upgrade_args("upgrade"))
    after = {suffix: release.secret(suffix, kube_api) for suffix in KEPT}
    assert after == before
    # Nor do the pods roll for nothing: their TLS checksum is the same.
    assert release.tls_checksum(kube_api) == rollout_before


def test_redis_acl_holds_the_password_hash_only(release: Release, kube_api: KubeAPI) -> None:
    redis = release.secret("redis-credentials", kube_api)
    password = base64.b64decode(redis["password"])
    acl = base64.b64decode(redis["users.acl"]).decode()
    assert f"#{hashlib.sha256(password).hexdigest()}" in acl
    assert password.decode() not in acl
    assert "user default off" in acl


ALLOWED = [
    ("watch", "organizations.enclave.dev"),
    ("patch", "organizations.enclave.dev"),
    ("patch", "organizations.enclave.dev/status"),
    ("create", "events"),
    ("get", "secrets"),
    ("create", "secrets"),
    ("delete", "secrets"),
    ("list", "customresourcedefinitions.apiextensions.k8s.io"),
]
DENIED = [
    ("list", "secrets"),
    ("watch", "secrets"),
    ("delete", "organizations.enclave.dev"),
    ("create", "deployments.apps"),
    ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
    ("get", "configmaps"),
]


@pytest.mark.parametrize(("verb", "resource"), ALLOWED)
def test_operator_may(release: Release, kube_api: KubeAPI, verb: str, resource: str) -> None:
    assert can_i(release, kube_api, verb, resource) == "yes"


@pytest.mark.parametrize(("verb", "resource"), DENIED)
def test_operator_may_not(release: Release, kube_api: KubeAPI, verb: str, resource: str) -> None:
    assert can_i(release, kube_api, verb, resource) == "no"


def test_operator_keeps_its_own_peering_alive(release: Release, kube_api: KubeAPI) -> None:
    assert can_i(release, kube_api, "patch", f"clusterkopfpeerings.kopf.dev/{release.name}-operator") == "yes"
    assert can_i(release, kube_api, "patch", "clusterkopfpeerings.kopf.dev/someone-else") == "no"


def test_operator_writes_only_the_customer_credentials_copy_in_its_own_namespace(
    release: Release, kube_api: KubeAPI
) -> None:
    copy = f"secrets/{release.name}-customer-credentials"
    here = release.namespace
    assert can_i(release, kube_api, "patch", copy, here) == "yes"
    assert can_i(release, kube_api, "get", copy, here) == "yes"
    assert can_i(release, kube_api, "patch", f"secrets/{release.name}-session", here) == "no"
    assert can_i(release, kube_api, "patch", copy) == "no"  # not another namespace's of that name


def test_api_and_worker_mount_the_copy_it_may_not_exist_yet(release: Release, kube_api: KubeAPI) -> None:
    for component in ("api", "worker"):
        out = kube_api.kubectl(
            "get", "deployment", f"{release.name}-{component}", "-n", release.namespace, "-o", "json"
        ).stdout
        pod = json.loads(out)["spec"]["template"]["spec"]
        volume = next(v for v in pod["volumes"] if v["name"] == "customer-credentials")
        assert volume["projected"]["sources"] == [
            {"secret": {"name": f"{release.name}-customer-credentials", "optional": True}}
        ]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "customer-credentials")
        assert env["ENCLAVE_S3_EXTERNAL_SECRETS_DIR"] == mount["mountPath"]
        assert mount["readOnly"] is True


def can_i(
    release: Release, kube_api: KubeAPI, verb: str, resource: str, namespace: str = "tenant-somewhere"
) -> str:
    """kubectl auth can-i as the release's operator ServiceAccount, in some tenant's namespace."""
    result = kube_api.kubectl(
        "auth",
        "can-i",
        verb,
        resource,
        "--namespace",
        namespace,
        f"--as=system:serviceaccount:{release.namespace}:{release.name}-operator",
        check=False,
    )
    return result.stdout.decode().strip()
