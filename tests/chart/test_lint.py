"""helm lint and helm template pass, strictly, with the default values and with all-external values."""

from __future__ import annotations

import pytest
import yaml

from tests.chart.conftest import VALUES
from tests.chart.tools import CHART, Helm


@pytest.mark.parametrize("values", sorted(VALUES))
def test_helm_lint_is_clean(helm: Helm, values: str) -> None:
    args = ["lint", str(CHART), "--strict", "--namespace", "enclave-system"]
    for path in VALUES[values]:
        args += ["--values", str(path)]
    result = helm(*args)
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values", sorted(VALUES))
def test_template_renders_every_component(helm: Helm, values: str) -> None:
    documents = [d for d in yaml.safe_load_all(helm.template("enclave-system", *VALUES[values])) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for component in ("api", "worker", "audit", "operator"):
        assert ("Deployment", f"enclave-{component}") in names
    for component in ("api", "worker", "audit"):
        assert ("HorizontalPodAutoscaler", f"enclave-{component}") in names
        assert ("PodDisruptionBudget", f"enclave-{component}") in names
    assert ("ServiceAccount", "enclave-operator") in names
    bundled = {n for k, n in names if k == "StatefulSet"}
    expected = {f"enclave-{c}" for c in ("postgresql", "redis", "minio", "keycloak", "openbao")}
    assert bundled == (expected if values == "default" else set())


@pytest.mark.parametrize("values", sorted(VALUES))
def test_every_image_is_pinned_by_digest(helm: Helm, values: str) -> None:
    rendered = helm.template("enclave-system", *VALUES[values])
    images = [line.split("image:", 1)[1].strip() for line in rendered.splitlines() if "image:" in line]
    assert images
    for image in images:
        assert image.startswith("registry.enclave.invalid/"), image
        name, _, digest = image.partition("@")
        assert digest.startswith("sha256:"), image
        assert ":" not in name.split("/")[-1], f"{image} has a tag"


def test_no_secret_value_is_rendered_from_values(helm: Helm) -> None:
    """Customer-run components are reached with Secrets the customer made: the chart renders none."""
    documents = [d for d in yaml.safe_load_all(helm.template("enclave-system", *VALUES["external"])) if d]
    secrets = {d["metadata"]["name"] for d in documents if d["kind"] == "Secret"}
    # Only what the chart makes itself: its CA, its certificates and the session key.
    assert secrets == {"enclave-ca", "enclave-api-tls", "enclave-worker-tls", "enclave-session"}
