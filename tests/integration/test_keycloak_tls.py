"""Keycloak runs in production mode on HTTPS only, and its admin API answers the bootstrap admin."""

from __future__ import annotations

import httpx
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakPostError

from tests.integration.stack import Stack


def _admin(stack: Stack, ca_file: str) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=stack.env["ENCLAVE_KEYCLOAK_URL"],
        username=stack.env["ENCLAVE_KEYCLOAK_ADMIN_USER"],
        password=stack.secret("ENCLAVE_KEYCLOAK_ADMIN_PASSWORD_FILE"),
        realm_name="master",
        verify=ca_file,
        timeout=20,
    )


class TestKeycloakTLS:
    def test_admin_api_over_verified_tls(self, stack: Stack) -> None:
        realms = {realm["realm"] for realm in _admin(stack, stack.ca_file).get_realms()}
        assert "master" in realms

    def test_issuer_is_the_https_url(self, stack: Stack) -> None:
        url = stack.env["ENCLAVE_KEYCLOAK_URL"]
        config = httpx.get(f"{url}/realms/master/.well-known/openid-configuration", verify=stack.tls).json()
        assert config["issuer"] == f"{url}/realms/master"
        assert all(v.startswith("https://") for k, v in config.items() if k.endswith("_endpoint"))

    def test_plain_http_is_refused(self, stack: Stack) -> None:
        url = stack.env["ENCLAVE_KEYCLOAK_URL"].replace("https://", "http://") + "/realms/master"
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=5)

    def test_server_not_signed_by_a_trusted_ca_is_refused(self, stack: Stack) -> None:
        with pytest.raises(KeycloakConnectionError) as refused:
            _admin(stack, stack.foreign_ca_file).get_realms()
        # python-keycloak words it generically; the TLS verification failure is the error underneath.
        assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value.__context__)

    def test_a_wrong_admin_password_is_refused(self, stack: Stack) -> None:
        oidc = KeycloakOpenID(
            server_url=stack.env["ENCLAVE_KEYCLOAK_URL"],
            realm_name="master",
            client_id="admin-cli",
            verify=stack.ca_file,
        )
        with pytest.raises(KeycloakPostError, match="invalid_grant"):
            oidc.token(stack.env["ENCLAVE_KEYCLOAK_ADMIN_USER"], "not-the-password")
