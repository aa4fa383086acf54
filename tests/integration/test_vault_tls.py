"""The Vault-API server (OpenBao) is a real, initialised, unsealed server on TLS, with transit on."""

from __future__ import annotations

import base64
import uuid

import httpx
import hvac
import pytest
import requests

from tests.integration.stack import Stack


def _vault(stack: Stack, ca_file: str) -> hvac.Client:
    return hvac.Client(
        url=stack.env["ENCLAVE_VAULT_URL"],
        token=stack.secret("ENCLAVE_VAULT_TOKEN_FILE"),
        verify=ca_file,
        timeout=10,
    )


class TestVaultTLS:
    def test_server_is_initialised_unsealed_and_not_dev(self, stack: Stack) -> None:
        client = _vault(stack, stack.ca_file)
        assert client.sys.is_initialized() is True
        assert client.sys.is_sealed() is False
        assert client.is_authenticated() is True
        # A -dev server keeps everything in memory; ours persists to real storage.
        assert client.sys.read_health_status(method="GET")["initialized"] is True

    def test_transit_encrypts_and_decrypts(self, stack: Stack) -> None:
        client = _vault(stack, stack.ca_file)
        key = f"tls-test-{uuid.uuid4().hex[:12]}"
        client.secrets.transit.create_key(name=key, key_type="aes256-gcm96")
        plaintext = base64.b64encode(b"wrapped by the customer's KMS").decode()
        ciphertext = client.secrets.transit.encrypt_data(name=key, plaintext=plaintext)["data"]["ciphertext"]
        assert ciphertext.startswith("vault:v1:")
        decrypted = client.secrets.transit.decrypt_data(name=key, ciphertext=ciphertext)["data"]["plaintext"]
        assert decrypted == plaintext

    def test_plain_http_is_refused(self, stack: Stack) -> None:
        url = stack.env["ENCLAVE_VAULT_URL"].replace("https://", "http://") + "/v1/sys/health"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            return
        assert response.status_code == 400
        assert "HTTPS server" in response.text

    def test_server_not_signed_by_a_trusted_ca_is_refused(self, stack: Stack) -> None:
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            _vault(stack, stack.foreign_ca_file).sys.is_initialized()

    def test_a_wrong_token_is_refused(self, stack: Stack) -> None:
        client = hvac.Client(url=stack.env["ENCLAVE_VAULT_URL"], token="s.not-a-token", verify=stack.ca_file)
        assert client.is_authenticated() is False
