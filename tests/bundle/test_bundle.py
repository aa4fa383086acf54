"""scripts/bundle end to end: what the tarball holds, and that `scripts/bundle verify` accepts it and
refuses every kind of tampering (a changed byte, an added or removed file, a changed manifest, a
bundle re-signed by another key, links and repeated or escaping names) with a message naming the file."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.bundle.conftest import ROOT, BuiltBundle, SigningKey, make_key, run_bundle
from tests.support.kube import kube_tools

# The first test to use the bundle fixture builds it: four images with buildah and two SBOMs, which on
# a busy 2-core machine took up to 6 minutes (about 2 warm), beyond pytest's default 300 s.
pytestmark = pytest.mark.timeout(1800)

Members = list[tuple[tarfile.TarInfo, bytes]]

ENCLAVE_IMAGES = {"api", "worker", "audit", "operator"}
# The uv that `make python-deps` installs into the cache (the version the Makefile pins).
UV = (
    Path(os.environ.get("ENCLAVE_CACHE", Path.home() / ".cache" / "enclave"))
    / "tools"
    / "uv-0.13.8"
    / "bin"
    / "uv"
)


def _members(bundle: Path) -> Members:
    with tarfile.open(bundle) as tar:
        return [
            (member, tar.extractfile(member).read() if member.isfile() else b"")  # type: ignore[union-attr]
            for member in tar.getmembers()
        ]


def _files(bundle: Path) -> dict[str, bytes]:
    """Path inside the bundle's top folder -> content."""
    return {m.name.split("/", 1)[1]: data for m, data in _members(bundle) if m.isfile()}


def _top(bundle: Path) -> str:
    return _members(bundle)[0][0].name.split("/", 1)[0]


def _write(members: Members, out: Path) -> Path:
    with tarfile.open(out, "w") as tar:
        for member, data in members:
            info = tarfile.TarInfo(member.name)
            info.type, info.mode, info.linkname = member.type, member.mode, member.linkname
            info.size = len(data) if member.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if member.isfile() else None)
    return out


def _tampered(built: BuiltBundle, tmp_path: Path, edit: Callable[[Members, str], Members]) -> Path:
    return _write(edit(_members(built.path), _top(built.path)), tmp_path / "tampered.tar")


def _replace(members: Members, name: str, data: bytes) -> Members:
    return [(m, data if m.name == name else d) for m, d in members]


def _manifest_for(files: dict[str, bytes]) -> bytes:
    """The manifest format, written independently of scripts/lib/bundle_manifest.py."""
    proof = {"MANIFEST.sha256", "MANIFEST.sha256.sig", "signing-key.pub"}
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n"
        for path, data in sorted(files.items())
        if path not in proof
    ).encode()


def _verify(bundle: Path, key: SigningKey | None) -> subprocess.CompletedProcess[str]:
    args = ["verify", str(bundle)] + (["--key", str(key.public_pem)] if key else [])
    return run_bundle(*args)


def _assert_refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result.stderr
    refusal = [line for line in result.stderr.splitlines() if "REFUSED" in line]
    assert refusal, result.stderr
    assert re.search(reason, refusal[0]), refusal[0]


class TestContents:
    def test_holds_chart_images_sboms_and_proof(self, built_bundle: BuiltBundle) -> None:
        files = _files(built_bundle.path)
        charts = [p for p in files if p.startswith("chart/")]
        assert len(charts) == 1
        assert charts[0].endswith(".tgz")
        for expected in (
            "README.txt",
            "images.txt",
            "third-party.txt",
            "values-images.yaml",
            "sbom/enclave-python.cdx.json",
            "sbom/enclave-webapp.cdx.json",
            "MANIFEST.sha256",
            "MANIFEST.sha256.sig",
            "signing-key.pub",
            "images/oci/oci-layout",
            "images/oci/index.json",
        ):
            assert expected in files, f"{expected} missing; bundle has {sorted(files)}"
        with tarfile.open(fileobj=io.BytesIO(files[charts[0]])) as chart:
            names = chart.getnames()
        # helm's package, or (where helm is not built yet) a tar of the chart's folder: the same layout.
        assert "enclave/Chart.yaml" in names
        assert "enclave/values.schema.json" in names

    def test_public_key_is_the_signers_and_is_printed(self, built_bundle: BuiltBundle) -> None:
        public = built_bundle.key.public_pem.read_bytes()
        assert _files(built_bundle.path)["signing-key.pub"] == public
        assert public.decode().strip() in built_bundle.stderr

    def test_image_list_pins_every_third_party_image(self, built_bundle: BuiltBundle) -> None:
        listed = {
            line.split()[0]: line.split()
            for line in _files(built_bundle.path)["images.txt"].decode().splitlines()
            if line.strip() and not line.startswith("#")
        }
        pinned = (ROOT / "images" / "third-party.txt").read_text().splitlines()
        third_party = [line.split() for line in pinned if line.strip() and not line.startswith("#")]
        assert set(listed) == {row[0] for row in third_party} | ENCLAVE_IMAGES
        for row in third_party:
            assert listed[row[0]] == row
        # Enclave's images were built into the bundle's OCI layout: each listed with the digest of its
        # manifest there, and the list says which base they were built on.
        files = _files(built_bundle.path)
        index = json.loads(files["images/oci/index.json"])
        refs = {
            m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in index["manifests"]
        }
        for name in ENCLAVE_IMAGES:
            _, repository, tag, digest, source = listed[name]
            assert repository == f"enclave/{name}"
            assert source == "bundle:images/oci"
            assert refs[f"{repository}:{tag}"] == digest
            assert f"images/oci/blobs/sha256/{digest.removeprefix('sha256:')}" in files
        assert (
            "built on localhost/enclave-test-base:bookworm, not on the pinned" in files["images.txt"].decode()
        )

    # helm comes from scripts/kube-tools, which on a fresh machine builds the whole toolchain (about 20
    # minutes) unless `make test` has built it before pytest starts.
    @pytest.mark.timeout(2400)
    def test_values_pin_the_charts_images(self, built_bundle: BuiltBundle, tmp_path: Path) -> None:
        values = tmp_path / "values-images.yaml"
        values.write_bytes(_files(built_bundle.path)["values-images.yaml"])
        pinned = yaml.safe_load(values.read_text())
        rendered = subprocess.run(
            [
                str(kube_tools() / "helm"),
                "template",
                "enclave",
                str(ROOT / "charts" / "enclave"),
                "-f",
                str(values),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert {"postgresql", "redis", "minio", "keycloak", "openbao"} <= set(pinned)
        for image in pinned.values():
            assert f"/{image['image']['repository']}@{image['image']['digest']}" in rendered

    def test_python_sbom_lists_the_locked_runtime_distribution(self, built_bundle: BuiltBundle) -> None:
        sbom = json.loads(_files(built_bundle.path)["sbom/enclave-python.cdx.json"])
        assert sbom["bomFormat"] == "CycloneDX"
        assert sbom["metadata"]["component"]["name"] == "enclave"
        names = {canonicalize_name(c["name"]) for c in sbom["components"]}
        locked = subprocess.run(
            [
                str(UV),
                "export",
                "--frozen",
                "--no-dev",
                "--no-emit-project",
                "--no-hashes",
                "--format",
                "requirements.txt",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # Exactly the locked runtime set for this platform (a Windows-only marker does not apply):
        # nothing missing, nothing from the dev group.
        requirements = [
            Requirement(line.rstrip(" \\"))
            for line in locked.splitlines()
            if line and not line.startswith(("#", " "))
        ]
        assert names == {
            canonicalize_name(r.name) for r in requirements if r.marker is None or r.marker.evaluate()
        }
        assert {"litestar", "cryptography", "kopf", "asyncpg"} <= names
        assert not {"pytest", "ruff", "mypy"} & names, "development tools are not part of the distribution"
        root = sbom["metadata"]["component"]["bom-ref"]
        direct = next(d["dependsOn"] for d in sbom["dependencies"] if d["ref"] == root)
        assert any(ref.startswith("litestar==") for ref in direct)

    def test_webapp_sbom_lists_its_runtime_npm_packages(self, built_bundle: BuiltBundle) -> None:
        sbom = json.loads(_files(built_bundle.path)["sbom/enclave-webapp.cdx.json"])
        package = json.loads((ROOT / "services" / "webapp" / "package.json").read_text())
        names = {c["name"] for c in sbom["components"]}
        assert sbom["bomFormat"] == "CycloneDX"
        assert set(package["dependencies"]) <= names
        # Build tools (vite, typescript, vitest, ...) are not shipped to the browser.
        assert not set(package["devDependencies"]) & names

    def test_manifest_lists_every_file_and_nothing_else(self, built_bundle: BuiltBundle) -> None:
        files = _files(built_bundle.path)
        assert files["MANIFEST.sha256"] == _manifest_for(files)


class TestVerify:
    def test_accepts_the_bundle_with_the_release_key(self, built_bundle: BuiltBundle) -> None:
        result = _verify(built_bundle.path, built_bundle.key)
        assert result.returncode == 0, result.stderr
        assert "files match the signed manifest" in result.stderr
        assert "the key given" in result.stderr

    def test_signature_is_plain_ed25519_that_openssl_checks(
        self, built_bundle: BuiltBundle, tmp_path: Path
    ) -> None:
        files = _files(built_bundle.path)
        (tmp_path / "m").write_bytes(files["MANIFEST.sha256"])
        (tmp_path / "s").write_bytes(files["MANIFEST.sha256.sig"])
        check = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(built_bundle.key.public_pem),
                "-rawin",
                "-in",
                str(tmp_path / "m"),
                "-sigfile",
                str(tmp_path / "s"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr

    @pytest.mark.parametrize("which", ["chart", "largest image layer"])
    def test_a_changed_byte_is_refused(self, built_bundle: BuiltBundle, tmp_path: Path, which: str) -> None:
        # One bit flipped inside a file's data in the tarball itself, as a bad copy or disk would do it.
        tampered = tmp_path / "flipped.tar"
        shutil.copyfile(built_bundle.path, tampered)
        with tarfile.open(tampered) as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
        if which == "chart":
            target = next(m for m in members if "/chart/" in m.name)
        else:
            target = max((m for m in members if "/images/oci/blobs/" in m.name), key=lambda m: m.size)
        with tampered.open("r+b") as raw:
            raw.seek(target.offset_data + target.size // 2)
            byte = raw.read(1)
            raw.seek(-1, 1)
            raw.write(bytes([byte[0] ^ 0x01]))
        inside = target.name.split("/", 1)[1]
        _assert_refused(_verify(tampered, built_bundle.key), rf"{re.escape(inside)}: checksum does not match")

    def test_an_added_file_is_refused(self, built_bundle: BuiltBundle, tmp_path: Path) -> None:
        def add(members: Members, top: str) -> Members:
            return [*members, (tarfile.TarInfo(f"{top}/images/backdoor.oci.tar"), b"not an image")]

        result = _verify(_tampered(built_bundle, tmp_path, add), built_bundle.key)
        _assert_refused(result, r"images/backdoor\.oci\.tar: not listed in the signed manifest")

    def test_a_removed_file_is_refused(self, built_bundle: BuiltBundle, tmp_path: Path) -> None:
        def remove(members: Members, top: str) -> Members:
            return [(m, d) for m, d in members if m.name != f"{top}/sbom/enclave-python.cdx.json"]

        result = _verify(_tampered(built_bundle, tmp_path, remove), built_bundle.key)
        _assert_refused(result, r"sbom/enclave-python\.cdx\.json: listed in the signed manifest but missing")

    def test_a_changed_manifest_is_refused(self, built_bundle: BuiltBundle, tmp_path: Path) -> None:
        # The attacker swaps a digest in images.txt and brings the manifest in line; the signature
        # over the manifest no longer matches.
        def swap(members: Members, top: str) -> Members:
            files = {m.name.split("/", 1)[1]: d for m, d in members if m.isfile()}
            files["images.txt"] = files["images.txt"].replace(b"sha256:539c", b"sha256:0000")
            members = _replace(members, f"{top}/images.txt", files["images.txt"])
            return _replace(members, f"{top}/MANIFEST.sha256", _manifest_for(files))

        result = _verify(_tampered(built_bundle, tmp_path, swap), built_bundle.key)
        _assert_refused(result, r"MANIFEST\.sha256: its signature does not verify")

    def test_a_bundle_signed_by_another_key_is_refused(
        self, built_bundle: BuiltBundle, tmp_path: Path
    ) -> None:
        other = make_key(tmp_path, "attacker")

        def resign(members: Members, top: str) -> Members:
            files = {m.name.split("/", 1)[1]: d for m, d in members if m.isfile()}
            files["images.txt"] = files["images.txt"].replace(b"sha256:539c", b"sha256:0000")
            manifest = _manifest_for(files)
            members = _replace(members, f"{top}/images.txt", files["images.txt"])
            members = _replace(members, f"{top}/MANIFEST.sha256", manifest)
            members = _replace(members, f"{top}/MANIFEST.sha256.sig", other.key.sign(manifest))
            return _replace(members, f"{top}/signing-key.pub", other.public_pem.read_bytes())

        tampered = _tampered(built_bundle, tmp_path, resign)
        _assert_refused(
            _verify(tampered, built_bundle.key), r"MANIFEST\.sha256: its signature does not verify"
        )
        # Without a trusted key the bundle is only self-consistent, and verify says whose key that is.
        alone = _verify(tampered, None)
        other_raw = other.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert alone.returncode == 0
        assert hashlib.sha256(other_raw).hexdigest() in alone.stderr
        assert "the key inside the bundle" in alone.stderr

    @pytest.mark.parametrize(
        ("kind", "reason"),
        [
            ("symlink", r"not a regular file"),
            ("repeated", r"given twice"),
            ("escape", r"a path outside the bundle"),
        ],
    )
    def test_links_repeated_and_escaping_names_are_refused(
        self, built_bundle: BuiltBundle, tmp_path: Path, kind: str, reason: str
    ) -> None:
        def edit(members: Members, top: str) -> Members:
            if kind == "symlink":
                link = tarfile.TarInfo(f"{top}/chart/latest.tgz")
                link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
                return [*members, (link, b"")]
            if kind == "repeated":
                # A second images.txt later in the tarball would win on extraction.
                return [*members, (tarfile.TarInfo(f"{top}/images.txt"), b"evil/image latest - x\n")]
            return [*members, (tarfile.TarInfo(f"{top}/../outside.txt"), b"x")]

        _assert_refused(_verify(_tampered(built_bundle, tmp_path, edit), built_bundle.key), reason)

    def test_not_a_bundle_is_refused(self, tmp_path: Path, release_key: SigningKey) -> None:
        junk = tmp_path / "junk.tar"
        junk.write_bytes(b"\x00" * 10 + b"not a tarball")
        _assert_refused(_verify(junk, release_key), r"not a readable bundle|empty")
