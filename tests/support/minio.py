"""A MinIO client straight to the stack's object store, past the api: to look at what is really
stored, to plant a customer's files, or to tamper with ciphertext. Verified TLS, root credentials."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3
from minio import Minio

from tests.integration.stack import Stack


def raw_minio(stack: Stack, ca_file: str | None = None, endpoint: str | None = None) -> Minio:
    """``ca_file``: the CA to trust (the stack's by default; another one to show the refusal);
    ``endpoint``: ``host:port`` of something in front of MinIO (the benchmark's relay)."""
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED", ca_certs=ca_file or stack.ca_file, timeout=10, retries=False
    )
    return Minio(
        endpoint or stack.env["ENCLAVE_S3_ENDPOINT"].removeprefix("https://"),
        access_key=stack.secret("ENCLAVE_S3_ACCESS_KEY_FILE"),
        secret_key=stack.secret("ENCLAVE_S3_SECRET_KEY_FILE"),
        secure=True,
        http_client=pool,
    )


@contextmanager
def scratch_bucket(minio: Minio, prefix: str) -> Iterator[str]:
    """A new bucket named ``<prefix>-<random>`` (a customer's, say), emptied and removed afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    minio.make_bucket(name)
    try:
        yield name
    finally:
        for entry in minio.list_objects(name, recursive=True):
            minio.remove_object(name, str(entry.object_name))
        minio.remove_bucket(name)
