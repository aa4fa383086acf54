"""The rendered manifests validate with kubeconform -strict against the test API server's own schemas
(built-in kinds) and the chart's CRDs (its Organization and kopf peering kinds): nothing is skipped
and no schema is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chart.conftest import VALUES
from tests.chart.kubeconform_schemas import SCHEMA_LOCATION
from tests.chart.tools import Helm, run


def kubeconform(tools_dir: Path, schemas: Path, manifests: Path) -> list[dict[str, object]]:
    result = run(
        [
            str(tools_dir / "kubeconform"),
            "-strict",
            "-summary",
            "-output",
            "json",
            "-schema-location",
            f"{schemas}/{SCHEMA_LOCATION}",
            str(manifests),
        ],
        check=False,
    )
    report = json.loads(result.stdout)
    resources: list[dict[str, object]] = report.get("resources") or []
    assert result.returncode == 0, json.dumps(resources, indent=2)
    return resources


@pytest.mark.parametrize("values", sorted(VALUES))
def test_manifests_validate_strictly(
    helm: Helm, tools_dir: Path, kubeconform_schemas: Path, tmp_path: Path, values: str
) -> None:
    manifests = tmp_path / "enclave.yaml"
    manifests.write_text(helm.template("enclave-system", *VALUES[values]))
    kubeconform(tools_dir, kubeconform_schemas, manifests)
    summary = run(
        [
            str(tools_dir / "kubeconform"),
            "-strict",
            "-summary",
            "-schema-location",
            f"{kubeconform_schemas}/{SCHEMA_LOCATION}",
            str(manifests),
        ]
    ).stdout
    # Every document was checked against a schema: none invalid, none skipped for want of one.
    assert "Invalid: 0, Errors: 0, Skipped: 0" in summary, summary


def test_kubeconform_refuses_an_unknown_field(
    helm: Helm, tools_dir: Path, kubeconform_schemas: Path, tmp_path: Path
) -> None:
    """The schemas are strict: a misspelt field is an error, not silently ignored."""
    rendered = helm.template("enclave-system")
    broken = rendered.replace("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true", 1)
    assert broken != rendered
    manifests = tmp_path / "broken.yaml"
    manifests.write_text(broken)
    result = run(
        [
            str(tools_dir / "kubeconform"),
            "-strict",
            "-schema-location",
            f"{kubeconform_schemas}/{SCHEMA_LOCATION}",
            str(manifests),
        ],
        check=False,
    )
    assert result.returncode == 1
    assert "readOnlyRootFileSystem" in result.stdout


def test_organization_schema_comes_from_the_crd(kubeconform_schemas: Path) -> None:
    organization = json.loads((kubeconform_schemas / "organization-enclave.dev-v1alpha1.json").read_text())
    assert organization["additionalProperties"] is False
    assert "spec" in organization["properties"]
