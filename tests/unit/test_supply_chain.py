"""``scripts/supply-chain``: a known-vulnerable pin never passes, a planted secret is found, the
committed baseline is fully audited, and the repository's own files hold no new secret.

The pip-audit case asks PyPI's advisory data, so it needs that service; where it does not answer
the script fails closed (status 3) and the pin is still refused — the test accepts exactly those
two refusals (1: found vulnerable, 3: could not be audited) and prints which one it saw.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "supply-chain"
FOUND, UNREACHABLE = 1, 3


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The script finds the project's environment from the interpreter running these tests.
    # A CI that cannot reach advisory data warns instead (.ci/run); these tests are about the
    # script's own answers, so that choice is not inherited unless a test passes it.
    inherited = {k: v for k, v in os.environ.items() if k != "ENCLAVE_SUPPLY_CHAIN_UNREACHABLE"}
    environment = inherited | {"UV_PROJECT_ENVIRONMENT": str(Path(sys.prefix))} | env
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environment, timeout=300, check=False
    )


def fake_aws_key() -> str:
    """An AWS access key id of the documented form, made here so this file itself holds none."""
    return "AKIA" + "Z7QX4MPL2WHN6RTB"


class TestPythonAudit:
    def test_a_known_vulnerable_pin_is_refused(self, tmp_path: Path) -> None:
        requirements = tmp_path / "requirements.txt"
        requirements.write_text("jinja2==2.10\n")  # CVE-2019-10906 (sandbox escape), fixed in 2.10.1
        done = run("python", str(requirements))
        print(done.stderr)
        assert done.returncode in (FOUND, UNREACHABLE), done.stderr
        assert "jinja2==2.10" in done.stderr
        if done.returncode == FOUND:
            assert "VULNERABLE jinja2==2.10" in done.stderr

    def test_unreachable_advisories_pass_only_when_asked_by_name(self, tmp_path: Path) -> None:
        """``ENCLAVE_SUPPLY_CHAIN_UNREACHABLE=warn`` never hides a finding: a vulnerable pin found
        still fails; only "no data" becomes a warning."""
        requirements = tmp_path / "requirements.txt"
        requirements.write_text("jinja2==2.10\n")
        done = run("python", str(requirements), ENCLAVE_SUPPLY_CHAIN_UNREACHABLE="warn")
        if "VULNERABLE jinja2==2.10" in done.stderr:
            assert done.returncode == FOUND
        else:
            assert done.returncode == 0
            assert "WARNING" in done.stderr
            assert "not audited" in done.stderr

    def test_a_missing_requirements_file_is_a_usage_error(self, tmp_path: Path) -> None:
        assert run("python", str(tmp_path / "absent.txt")).returncode == 2


class TestSecretsScan:
    def test_a_planted_aws_key_is_found(self, tmp_path: Path) -> None:
        planted = tmp_path / "settings.py"
        planted.write_text(f'AWS_ACCESS_KEY_ID = "{fake_aws_key()}"\n')
        done = run("secrets", str(planted))
        assert done.returncode == FOUND, done.stderr
        assert f"SECRET {planted}:1 AWS Access Key" in done.stderr
        assert fake_aws_key() not in done.stdout + done.stderr  # named, never printed

    def test_a_clean_file_passes(self, tmp_path: Path) -> None:
        clean = tmp_path / "notes.txt"
        clean.write_text("nothing to see here\n")
        done = run("secrets", str(clean))
        assert done.returncode == 0, done.stderr
        assert "1 files scanned, 0 new secrets" in done.stderr

    def test_a_benchmarks_commit_passes_but_the_same_hex_under_another_name_is_found(
        self, tmp_path: Path
    ) -> None:
        commit = secrets.token_hex(20)
        result = tmp_path / "latest.json"
        result.write_text(f'{{\n  "source": {{\n    "commit": "{commit}",\n    "dirty": false\n  }}\n}}\n')
        assert run("secrets", str(result)).returncode == 0
        result.write_text(f'{{\n  "token": "{commit}"\n}}\n')
        done = run("secrets", str(result))
        assert done.returncode == FOUND, done.stderr
        assert "Hex High Entropy String" in done.stderr

    def test_every_baseline_entry_is_audited_with_a_reason(self) -> None:
        baseline = json.loads((REPO / ".secrets.baseline").read_text())
        entries = [(name, e) for name, found in baseline["results"].items() for e in found]
        assert entries
        unaudited = [
            f"{name}:{e['line_number']}"
            for name, e in entries
            if e.get("is_secret") is not False or not str(e.get("reason", "")).strip()
        ]
        assert not unaudited, unaudited

    def test_the_repository_holds_no_new_secret(self) -> None:
        done = run("secrets")
        assert done.returncode == 0, done.stderr
