"""Debian's Chromium, driven by playwright, trusting the stack's CA the way a user's browser would:
the CA is added to the browser's own certificate store (an NSS database in a home folder made for
the run, with ``certutil``), never by switching certificate checks off. Playwright's own browser
download cannot work here and is never used."""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404 — certutil, with fixed arguments and no shell
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def browser_home(base: Path, ca_file: str) -> Path:
    """A home folder whose NSS database trusts ``ca_file`` for TLS servers."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise RuntimeError("certutil is missing: scripts/system-deps installs libnss3-tools")
    nssdb = base / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    database = f"sql:{nssdb}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", database, "-n", "enclave-stack-ca", "-t", "C,,", "-i", ca_file],
        check=True,
        capture_output=True,
    )
    return base


def chromium_env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home)}
