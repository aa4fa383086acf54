"""MinIO serves only HTTPS, verified against the stack's CA, and stores objects for its credentials."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
import urllib3
from minio import Minio

from tests.integration.stack import Stack
from tests.support.minio import raw_minio


class TestMinioTLS:
    def test_verified_tls_round_trip(self, stack: Stack) -> None:
        client = raw_minio(stack)
        bucket = f"tls-test-{uuid.uuid4().hex[:12]}"
        client.make_bucket(bucket)
        try:
            client.put_object(bucket, "probe", io.BytesIO(b"bytes over TLS"), length=14)
            assert client.get_object(bucket, "probe").read() == b"bytes over TLS"
        finally:
            client.remove_object(bucket, "probe")
            client.remove_bucket(bucket)

    def test_plain_http_is_refused(self, stack: Stack) -> None:
        url = stack.env["ENCLAVE_S3_ENDPOINT"].replace("https://", "http://") + "/minio/health/live"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            return  # the TLS listener dropped the plaintext request: refused
        # Go's TLS server answers a plaintext request with a 400 that serves nothing.
        assert response.status_code == 400
        assert "HTTPS server" in response.text

    def test_server_not_signed_by_a_trusted_ca_is_refused(self, stack: Stack) -> None:
        with pytest.raises(urllib3.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            raw_minio(stack, stack.foreign_ca_file).list_buckets()

    def test_wrong_credentials_are_refused(self, stack: Stack) -> None:
        endpoint = stack.env["ENCLAVE_S3_ENDPOINT"].removeprefix("https://")
        pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=stack.ca_file, retries=False)
        client = Minio(
            endpoint, access_key="nobody", secret_key="not-the-secret-key", secure=True, http_client=pool
        )
        with pytest.raises(Exception, match="InvalidAccessKeyId"):
            client.list_buckets()
