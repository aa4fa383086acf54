"""The real services for the integration suites: started by ``scripts/stack`` or reused if running.

Provider: local processes on loopback (this project's machines have no Docker engine). The provider
that ran is printed in pytest's header, so a run's output says what it talked to.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "scripts" / "stack"
PROVIDER = "local processes started by scripts/stack (real PostgreSQL, Redis, MinIO, OpenBao, Keycloak)"


def stack_env() -> dict[str, str]:
    """``scripts/stack env`` as a dict (paths to secret files, never the secrets)."""
    out = subprocess.run([str(STACK), "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def ensure_stack_up() -> dict[str, str]:
    if subprocess.run([str(STACK), "status"], capture_output=True, check=False).returncode != 0:
        subprocess.run([str(STACK), "up"], check=True)
    env = stack_env()
    os.environ.update(env)
    return env


def migrate(stack: Stack) -> None:
    """Applies the migrations the way `make up` does: a separate process, as the owner role."""
    subprocess.run([sys.executable, "-m", "enclave.db.migrate"], check=True, env=os.environ | stack.env)


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]

    def secret(self, variable: str) -> str:
        return Path(self.env[variable]).read_text().strip()

    @property
    def ca_file(self) -> str:
        return self.env["ENCLAVE_TLS_CA_FILE"]

    @cached_property
    def tls(self) -> ssl.SSLContext:
        """A client context that trusts the stack's CA and verifies host names."""
        return ssl.create_default_context(cafile=self.ca_file)

    @cached_property
    def foreign_ca_file(self) -> str:
        """A CA certificate of another installation: a client trusting only it must refuse our servers."""
        return str(_write_foreign_ca())

    @cached_property
    def foreign_tls(self) -> ssl.SSLContext:
        """A verifying client context that trusts another CA, not the stack's."""
        return ssl.create_default_context(cafile=self.foreign_ca_file)


def _write_foreign_ca() -> Path:
    import datetime
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some other installation's CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = Path(tempfile.mkdtemp(prefix="foreign-ca-")) / "ca.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
