"""The chart suite's tools, run for real: helm, kubeconform (from ``scripts/kube-tools``) and checkov
(from PyPI, in its own cached tool environment, never the project's).

Owns how each is invoked: helm with its cache, config and data folders inside the test's own folder
(so no test reads a developer's repositories or plugins), checkov offline. Must never change the chart.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "enclave"
EXTERNAL_VALUES = CHART / "ci" / "external-values.yaml"

#: checkov from PyPI, pinned; a new pin builds a new tool environment in the uv cache.
CHECKOV_VERSION = "3.3.30"
UV_VERSION = "0.13.8"


def enclave_cache() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "enclave"
    return Path(os.environ.get("ENCLAVE_CACHE") or default)


class ToolFailed(AssertionError):
    """A tool exited non-zero; the message carries its output."""


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    input: bytes | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        env=env,
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        raise ToolFailed(f"{' '.join(command)} exited {result.returncode}\n{output}")
    return result


class Helm:
    """helm from the kube tools, with its state in ``home`` and, when given, a kubeconfig."""

    def __init__(self, bin_dir: Path, home: Path, kubeconfig: Path | None = None) -> None:
        self.binary = bin_dir / "helm"
        self.env = os.environ | {
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }
        if kubeconfig is not None:
            self.env["KUBECONFIG"] = str(kubeconfig)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([str(self.binary), *args], env=self.env, check=check)

    def template(self, namespace: str, *values: Path, extra: tuple[str, ...] = ()) -> str:
        """The chart rendered as one multi-document YAML (hooks included, tests skipped)."""
        args = ["template", "enclave", str(CHART), "--namespace", namespace, "--skip-tests", *extra]
        for path in values:
            args += ["--values", str(path)]
        return self(*args).stdout


def checkov(directory: Path) -> dict[str, Any]:
    """checkov's Kubernetes checks over every manifest in ``directory``: its JSON report."""
    cache = enclave_cache() / "tools"
    uv = cache / f"uv-{UV_VERSION}" / "bin" / "uv"
    if not uv.exists():
        raise ToolFailed(f"{uv} is missing: `make python-deps` installs it")
    env = os.environ | {
        "UV_TOOL_DIR": str(cache / "uv-tool"),
        "UV_CACHE_DIR": str(cache / "uv-cache"),
        # Offline: no call home for guidelines or policies (--skip-download says the same to checkov).
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_NO_OUTPUT_COLOR": "1",
    }
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    result = run(
        [
            str(uv),
            "tool",
            "run",
            "--from",
            f"checkov=={CHECKOV_VERSION}",
            "checkov",
            "--directory",
            str(directory),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--output",
            "json",
        ],
        env=env,
        check=False,
        timeout=1200,
    )
    # checkov exits 1 when a check fails; anything else is checkov itself failing.
    if result.returncode not in (0, 1):
        raise ToolFailed(f"checkov exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    report = json.loads(result.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    (kubernetes,) = [r for r in reports if r.get("check_type") == "kubernetes"]
    return kubernetes
