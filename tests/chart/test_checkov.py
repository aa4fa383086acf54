"""checkov's Kubernetes checks over the rendered chart (default and all-external values): no check
fails, and every skip is one the templates justify in an annotation beside the resource."""

from __future__ import annotations

import pytest

from tests.chart.conftest import VALUES
from tests.chart.tools import Helm, checkov

#: The skips the chart makes, each justified in a checkov.io/skipN annotation in the templates.
JUSTIFIED_SKIPS = {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_35", "CKV2_K8S_5"}


@pytest.fixture(scope="module")
def report(helm: Helm, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("rendered")
    for name, values in VALUES.items():
        (folder / f"{name}.yaml").write_text(helm.template("enclave-system", *values))
    return checkov(folder)


def test_no_check_fails(report: dict[str, object]) -> None:
    results = report["results"]
    assert isinstance(results, dict)
    failed = [f"{c['check_id']} {c['resource']}" for c in results.get("failed_checks", [])]
    assert not failed, "\n".join(failed)
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["failed"] == 0
    assert summary["passed"] > 500, summary


def test_every_skip_is_justified(report: dict[str, object]) -> None:
    results = report["results"]
    assert isinstance(results, dict)
    skipped = results.get("skipped_checks", [])
    assert skipped, "the templates' skip annotations were not seen"
    for check in skipped:
        assert check["check_id"] in JUSTIFIED_SKIPS, check["check_id"]
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(comment) > 20, f"{check['check_id']} on {check['resource']} has no reason"
