"""The chart suite's fixtures: the real kube tools, a real API server (shared with the session), helm
with its state kept in the test's folder, and the chart rendered once per values file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chart.kubeconform_schemas import write_builtin_schemas, write_crd_schemas
from tests.chart.tools import CHART, EXTERNAL_VALUES, Helm
from tests.support.kube import KubeAPI, kube_api, kube_tools

__all__ = ["kube_api"]

#: The values files the chart is held to: its defaults (everything bundled) and all-external.
VALUES = {"default": (), "external": (EXTERNAL_VALUES,)}
CRD_FILES = sorted((CHART / "crds").glob("*.yaml"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kube: needs the kube tools (scripts/kube-tools) and a test API server"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.kube)


@pytest.fixture(scope="session")
def tools_dir() -> Path:
    return kube_tools()


@pytest.fixture(scope="session")
def helm(tools_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(tools_dir, tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def kubeconform_schemas(kube_api: KubeAPI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Schemas of the test API server's built-in kinds and of the chart's CRDs, in one folder."""
    folder = tmp_path_factory.mktemp("kubeconform-schemas")
    openapi = kube_api.kubectl("get", "--raw", "/openapi/v2").stdout
    assert write_builtin_schemas(json.loads(openapi), folder) > 100
    assert write_crd_schemas(CRD_FILES, folder), "no CRD in charts/enclave/crds"
    return folder


@pytest.fixture(scope="session")
def crds_applied(kube_api: KubeAPI) -> None:
    """The chart's CRDs, applied for real (as helm does on install) and established."""
    for path in CRD_FILES:
        kube_api.kubectl(
            "apply", "--server-side", "--force-conflicts", "--field-manager=chart-tests", "-f", str(path)
        )
    kube_api.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
