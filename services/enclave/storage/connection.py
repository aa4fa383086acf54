"""How Enclave talks to an S3 service: one verifying HTTPS pool, and minio clients that use it.

Shared by the organization buckets (``storage.objects``) and the audit trail's locked copy
(``audit.archive``), so both speak the same TLS-verified, retrying S3 and nothing else.
"""

from __future__ import annotations

import urllib3
from minio import Minio

from enclave.settings import TLSSettings


def https_pool(tls: TLSSettings, *, connections: int = 16) -> urllib3.PoolManager:
    """Verifies every peer against the installation's CA; retries only what S3 says is transient."""
    return urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(tls.ca_file),
        timeout=urllib3.Timeout(connect=5, read=60),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        maxsize=connections,
    )


def s3_client(
    pool: urllib3.PoolManager, endpoint: str, region: str, access_key: str, secret_key: str
) -> Minio:
    """A client for an ``https://`` endpoint; there is no plaintext S3."""
    return Minio(
        endpoint.removeprefix("https://").rstrip("/"),
        access_key=access_key,
        secret_key=secret_key,
        secure=True,
        region=region,
        http_client=pool,
    )
