"""A real ``enclave-operator`` process (``python -m enclave.operator``) against the test API server and
the stack: signed in as the operator's ServiceAccount user (the chart's RBAC is all it may do), with the
stack's settings, and the test timings below. Started in a session of its own, stopped by its pid."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.integration.stack import Stack
from tests.support.api_process import stop_process
from tests.support.kube import OPERATOR_NAMESPACE, KubeAPI

#: The Secret the operator copies own buckets' credentials into, as the chart names it (and grants it).
CREDENTIALS_COPY = "enclave-customer-credentials"

#: Test timings: drift is looked for every 3 s, a component that is down is retried every 2 s, a
#: retention day lasts one second, and a dead replica's lead runs out after 10 s.
TEST_SETTINGS = {
    "ENCLAVE_OPERATOR_DRIFT_INTERVAL_S": "3",
    "ENCLAVE_OPERATOR_RETRY_DELAY_S": "2",
    "ENCLAVE_OPERATOR_RETENTION_DAY_S": "1",
    "ENCLAVE_OPERATOR_PEERING_LIFETIME_S": "10",
    "ENCLAVE_OPERATOR_CREDENTIALS_NAMESPACE": OPERATOR_NAMESPACE,
    "ENCLAVE_OPERATOR_CREDENTIALS_SECRET": CREDENTIALS_COPY,
}
STARTED = '"event": "operator.started"'
START_TIMEOUT_S = 60


def operator_vault_role(stack: Stack) -> dict[str, str]:
    """The operator's own AppRole (``enclave-operator``, made by the stack as the chart's README asks of
    an installation's Vault), never the root token: a right the chart does not give it fails here."""
    folder = Path(stack.env["ENCLAVE_VAULT_ROLE_ID_FILE"]).parent
    return {
        "ENCLAVE_VAULT_ROLE_ID_FILE": str(folder / "operator-role-id"),
        "ENCLAVE_VAULT_SECRET_ID_FILE": str(folder / "operator-secret-id"),
    }


def start_operator(
    cluster: KubeAPI, stack: Stack, log: Path, settings: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Starts an operator and returns once its startup handler has run (its watches start next)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KUBECONFIG", "ENCLAVE_OPERATOR_", "ENCLAVE_VAULT_TOKEN_FILE"))
    }
    env |= (
        {key: value for key, value in stack.env.items() if key != "ENCLAVE_VAULT_TOKEN_FILE"}
        | operator_vault_role(stack)
        | TEST_SETTINGS
        | {"KUBECONFIG": str(cluster.operator_kubeconfig)}
        | dict(settings or {})
    )
    seen = log.read_text().count(STARTED) if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave.operator"],
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while log.read_text().count(STARTED) <= seen:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"the operator did not start:\n{log.read_text()[-5000:]}")
        time.sleep(0.1)
    return process


@contextmanager
def running_operator(
    cluster: KubeAPI, stack: Stack, log: Path, settings: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = start_operator(cluster, stack, log, settings)
    try:
        yield process
    finally:
        stop_process(process)
