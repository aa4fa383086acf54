"""The audit service's Keycloak client, made by the operator where nothing else makes it (a cluster: the
chart generates its secret and gives it to the operator and the audit service): on the first
Organization's convergence it exists, its secret signs in, and it reads that realm's login events and
nothing else; changed by hand, it is put back on the timer.

Run under a client id of its own, so the stack's own audit client is never touched."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.stack import Stack
from tests.operator import tenant
from tests.operator.cluster import apply, forget, organization, ready_organization, wait_for
from tests.operator.operator_process import running_operator
from tests.support.kube import KubeAPI

CLIENT = f"enclave-audit-{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def secret() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def operator(
    operator_cluster: KubeAPI, migrated: Stack, secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("audit-client")
    secret_file = folder / "audit-client-secret"
    secret_file.write_text(secret)
    secret_file.chmod(0o600)
    log = folder / "operator.log"
    settings = {
        "ENCLAVE_OPERATOR_PEERING_PRIORITY": "100",
        "ENCLAVE_AUDIT_KEYCLOAK_CLIENT_ID": CLIENT,
        "ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE": str(secret_file),
    }
    with running_operator(operator_cluster, migrated, log, settings):
        yield log
    master = tenant.master_api()
    found = master.get("/clients", clientId=CLIENT)
    if found:
        master.remove(f"/clients/{found[0]['id']}")


def token(stack: Stack, client_secret: str) -> httpx.Response:
    return httpx.post(
        f"{stack.env['ENCLAVE_KEYCLOAK_URL']}/realms/master/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": client_secret},
        verify=stack.tls,
        timeout=30,
    )


def test_the_operator_makes_the_audit_client_and_keeps_it(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack, secret: str
) -> None:
    slug = f"op-{secrets.token_hex(4)}"
    apply(operator_cluster, organization("audited", namespace, slug))
    try:
        ready_organization(operator_cluster, namespace, "audited")
        signed_in = token(stack, secret)
        assert signed_in.status_code == 200, signed_in.text
        access = signed_in.json()["access_token"]
        keycloak = stack.env["ENCLAVE_KEYCLOAK_URL"]
        with httpx.Client(verify=stack.tls, timeout=30, headers={"Authorization": f"Bearer {access}"}) as kc:
            assert kc.get(f"{keycloak}/admin/realms/{slug}/events").status_code == 200  # its realm's events
            assert kc.get(f"{keycloak}/admin/realms/{slug}/users").status_code == 403  # nothing else
            assert kc.get(f"{keycloak}/admin/realms/master/events").status_code == 403

        # Its secret changed by hand: put back on the timer, so the audit service signs in again.
        master = tenant.master_api()
        client = master.get("/clients", clientId=CLIENT)[0]
        master.request("POST", f"/clients/{client['id']}/client-secret")
        assert token(stack, secret).status_code == 401
        wait_for("the secret put back", lambda: token(stack, secret).status_code == 200, timeout_s=60)
    finally:
        forget(operator_cluster, namespace, "audited")
        tenant.remove_realm(slug)
