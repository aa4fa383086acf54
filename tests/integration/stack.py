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

from tests.support.tls import write_ca

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
        return str(write_ca("Some other installation's CA"))

    @cached_property
    def foreign_tls(self) -> ssl.SSLContext:
        """A verifying client context that trusts another CA, not the stack's."""
        return ssl.create_default_context(cafile=self.foreign_ca_file)
