"""TLS client contexts for every connection Enclave makes.

Owns the one way a service builds a client-side ``ssl.SSLContext``: the installation's CA only,
certificate and host name always verified, TLS 1.2 at least. Must never offer a way to skip
verification; there is no parameter for it, on purpose.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=8)
def client_context(ca_file: Path) -> ssl.SSLContext:
    """A verifying client context trusting only ``ca_file`` (shared; treat it as read-only)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # create_default_context already sets both; stated again so a reader sees the guarantee here.
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context
