"""values.schema.json refuses what must never be installed: an image by tag or without a digest, a
secret value where a Secret reference belongs, a loosened security context, an external component
without its address or credentials, an unknown key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.tools import CHART, Helm

GOOD_DIGEST = "sha256:" + "ab" * 32

REFUSED = {
    "image by tag": ({"api": {"image": {"repository": "enclave/api", "tag": "latest"}}}, "'tag' not allowed"),
    "image without digest": (
        {"worker": {"image": {"repository": "enclave/worker", "digest": ""}}},
        "/worker/image/digest",
    ),
    "short digest": ({"operator": {"image": {"digest": "sha256:abc"}}}, "/operator/image/digest"),
    "plaintext database password": (
        {"externalPostgresql": {"password": "hunter2"}},
        "'password' not allowed",
    ),
    "plaintext bundled password": ({"redis": {"password": "hunter2"}}, "'password' not allowed"),
    "root allowed": ({"podSecurityContext": {"runAsNonRoot": False}}, "/podSecurityContext/runAsNonRoot"),
    "writable root filesystem": (
        {"containerSecurityContext": {"readOnlyRootFilesystem": False}},
        "/containerSecurityContext/readOnlyRootFilesystem",
    ),
    "capabilities kept": (
        {"containerSecurityContext": {"capabilities": {"drop": ["NET_RAW"]}}},
        "capabilities/drop",
    ),
    "plaintext redis": (
        {"redis": {"enabled": False}, "externalRedis": {"url": "redis://r:6379/0", "existingSecret": "r"}},
        "/externalRedis/url",
    ),
    "external database without a host": (
        {"postgresql": {"enabled": False}, "externalPostgresql": {"existingSecret": "pg"}},
        "/externalPostgresql/host",
    ),
    "external vault without credentials": (
        {"openbao": {"enabled": False}, "externalVault": {"url": "https://vault.corp.invalid"}},
        "/externalVault/existingSecret",
    ),
    "cert-manager without an issuer": (
        {"tls": {"certManager": {"enabled": True}}},
        "/tls/certManager/issuerRef/name",
    ),
    "unknown key": ({"api": {"replicaCount": 3}}, "'replicaCount' not allowed"),
    "no limits": (
        {"api": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": None}}},
        "/api/resources",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_values_are_refused(helm: Helm, tmp_path: Path, case: str) -> None:
    values, where = REFUSED[case]
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    result = helm("template", "enclave", str(CHART), "--values", str(path), check=False)
    assert result.returncode != 0, f"{case}: accepted"
    assert "values don't meet the specifications of the schema" in result.stderr or "schema" in result.stderr
    assert where in result.stderr, result.stderr


def test_good_overrides_are_accepted(helm: Helm, tmp_path: Path) -> None:
    """The refusals above are the schema's doing, not a chart that refuses everything."""
    path = tmp_path / "values.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "global": {
                    "imageRegistry": "registry.corp.invalid:5000/enclave",
                    "imagePullSecrets": ["pull"],
                },
                "api": {"image": {"repository": "enclave/api", "digest": GOOD_DIGEST}, "replicas": 3},
                "tls": {
                    "certManager": {
                        "enabled": True,
                        "issuerRef": {"name": "corp-ca", "kind": "ClusterIssuer"},
                    },
                    "trustBundle": {"existingSecret": "corp-ca-bundle"},
                },
            }
        )
    )
    rendered = helm("template", "enclave", str(CHART), "--values", str(path)).stdout
    assert f"registry.corp.invalid:5000/enclave/enclave/api@{GOOD_DIGEST}" in rendered
    assert "kind: Certificate" in rendered
