"""The bundle suite's fixtures: one real `scripts/bundle` run shared by the tests, and the signing keys.

Everything here runs the real tools (helm, buildah, cyclonedx-bom, cyclonedx-npm, the manifest signer).
Two things stand in for what a release has: the signing key, generated per test session, and the base
image of Enclave's images, built from Debian's packages (tests/bundle/standin_base.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.bundle.standin_base import standin_base

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "scripts" / "bundle"


@dataclass(frozen=True)
class SigningKey:
    private_pem: Path
    public_pem: Path
    key: Ed25519PrivateKey


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    stderr: str
    key: SigningKey


def make_key(folder: Path, name: str) -> SigningKey:
    key = Ed25519PrivateKey.generate()
    private_pem = folder / f"{name}.pem"
    private_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    private_pem.chmod(0o600)
    public_pem = folder / f"{name}.pub"
    public_pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return SigningKey(private_pem, public_pem, key)


def run_bundle(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """scripts/bundle in its own process group: if the test is stopped (its timeout, Ctrl-C), the whole
    group gets SIGTERM (scripts/bundle then removes its work folder), and SIGKILL if it lingers."""
    command = [str(BUNDLE), *args]
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=1500)
    except BaseException:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@pytest.fixture(scope="session")
def release_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("keys"), "release")


@pytest.fixture(scope="session")
def built_bundle(tmp_path_factory: pytest.TempPathFactory, release_key: SigningKey) -> BuiltBundle:
    """One bundle with everything in it, Enclave's four images included: built with buildah on the
    stand-in base (the pinned one cannot be pulled here), `require` so a failed build fails the suite."""
    out = tmp_path_factory.mktemp("bundle") / "enclave-bundle.tar"
    env = {
        "ENCLAVE_BUNDLE_SIGNING_KEY": str(release_key.private_pem),
        "ENCLAVE_BUNDLE_IMAGES": "require",
        "ENCLAVE_BUNDLE_BASE_IMAGE": standin_base(),
    }
    result = run_bundle(str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    return BuiltBundle(out, result.stderr, release_key)
