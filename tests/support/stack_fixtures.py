"""The real stack, started once per session (or reused), and a real api on it: fixtures every suite that
talks to real services shares (registered once, in ``tests/conftest.py``, so one api serves them all)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from minio import Minio

from tests.integration.stack import Stack, ensure_stack_up, migrate
from tests.support.api_process import running_api, stop_process
from tests.support.minio import raw_minio

#: The upload limit of the api the integration suites run against.
UPLOAD_LIMIT = 24 * 1024 * 1024
#: The name under which the api finds credentials for customer buckets.
CUSTOMER_CREDENTIALS = "customer-s3"


def own_kms_address(stack: Stack) -> str:
    """The stack's OpenBao under the other name its certificate holds: to the services, another
    Vault-API server (organizations "of their own KMS" keep their keys there, in another mount)."""
    url = stack.env["ENCLAVE_VAULT_URL"]
    return (
        url.replace("127.0.0.1", "localhost") if "127.0.0.1" in url else url.replace("localhost", "127.0.0.1")
    )


def install_s3_credentials(stack: Stack, folder: Path, name: str = CUSTOMER_CREDENTIALS) -> Path:
    """The stack's MinIO credentials installed in ``folder`` under ``name``, as a mounted Secret
    would hold them (``<name>.access_key``, ``<name>.secret_key``); returns ``folder``."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for part, variable in (
        ("access_key", "ENCLAVE_S3_ACCESS_KEY_FILE"),
        ("secret_key", "ENCLAVE_S3_SECRET_KEY_FILE"),
    ):
        target = folder / f"{name}.{part}"
        target.write_text(stack.secret(variable))
        target.chmod(0o600)
    return folder


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack(ensure_stack_up())


@pytest.fixture(scope="session")
def migrated(stack: Stack) -> Stack:
    migrate(stack)
    return stack


@pytest.fixture
def minio(stack: Stack) -> Minio:
    """The stack's MinIO as its root, past the api: to see what is really stored."""
    return raw_minio(stack)


@pytest.fixture(scope="session")
def s3_credentials(migrated: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of named S3 credentials the suites' api reads (its ENCLAVE_S3_EXTERNAL_SECRETS_DIR),
    holding the datasets' ``CUSTOMER_CREDENTIALS``; a test installs more, as a mounted Secret changes."""
    return install_s3_credentials(migrated, Path(tmp_path_factory.mktemp("s3-credentials")))


@pytest.fixture(scope="session")
def api_url(migrated: Stack, s3_credentials: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real api process over HTTPS, in test mode: the test-only authentication hook is on."""
    log = Path(tmp_path_factory.mktemp("api")) / "api.log"
    # The customer's "own" S3 service is the stack's MinIO under credentials installed by name, as a
    # mounted secret would be: the only external endpoint this api may reach.
    secrets = s3_credentials
    settings = {
        # Small enough that the upload limit can be crossed quickly in a test.
        "ENCLAVE_API_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
        "ENCLAVE_S3_EXTERNAL_ENDPOINTS": json.dumps([migrated.env["ENCLAVE_S3_ENDPOINT"]]),
        "ENCLAVE_S3_EXTERNAL_SECRETS_DIR": str(secrets),
        # An organization's "own" KMS is the stack's OpenBao under its other name, with another mount.
        "ENCLAVE_VAULT_EXTERNAL_ENDPOINTS": json.dumps([own_kms_address(migrated)]),
        "ENCLAVE_VAULT_EXTERNAL_SECRETS_DIR": str(secrets),
    }
    with running_api(migrated, log, "test", settings) as url:
        yield url


@pytest.fixture
def api(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def audit_service(
    migrated: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """The real audit service (``enclave-audit run``) on the stack, as its own database role and
    AppRole; it signs a checkpoint at least every second here, and pulls Keycloak's events every
    second, so tests need not wait long for either."""
    log = Path(tmp_path_factory.mktemp("audit")) / "audit.log"
    env = (
        os.environ
        | migrated.env
        | {
            "ENCLAVE_AUDIT_CHECKPOINT_INTERVAL_S": "1",
            "ENCLAVE_AUDIT_POLL_INTERVAL_S": "0.05",
            "ENCLAVE_AUDIT_KEYCLOAK_PULL_INTERVAL_S": "1",
        }
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave.audit_service", "run"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(f"the audit service did not start:\n{log.read_text()}")
        yield process
    finally:
        stop_process(process)


@pytest.fixture
def browser(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    """A browser's view of the api: a client that keeps cookies (sessions) between requests."""
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture
def keycloak_browser(stack: Stack) -> Iterator[httpx.Client]:
    """The same browser on Keycloak's pages (its own cookie jar, as a browser keeps per site)."""
    with httpx.Client(verify=stack.tls, timeout=30) as client:
        yield client
