"""Serves the api over HTTPS only: ``python -m enclave.api`` (or the ``enclave-api`` command).

uvicorn gets the certificate and key from settings; there is no plaintext listener to enable.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import uvicorn

from enclave.egress import install as install_egress_guard
from enclave.logging import configure_logging
from enclave.settings import get_settings

if TYPE_CHECKING:
    from litestar import Litestar


def guarded_app() -> Litestar:
    """The app of one server process, its egress guard installed first (each process uvicorn
    spawns starts here, not in ``main``)."""
    install_egress_guard()
    from enclave.api.app import create_app  # here: the supervisor process never loads the app

    return create_app()


def main() -> None:
    configure_logging()
    api = get_settings().api
    uvicorn.run(
        "enclave.api.__main__:guarded_app",
        factory=True,
        host=api.host,
        port=api.port,
        ssl_certfile=str(api.tls_cert_file),
        ssl_keyfile=str(api.tls_key_file),
        ssl_version=ssl.PROTOCOL_TLS_SERVER,
        # TLS 1.2 with AEAD suites only (TLS 1.3's are all AEAD); tests/security/test_tls_scan.py.
        ssl_ciphers="ECDHE+AESGCM:ECDHE+CHACHA20",
        workers=api.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        # Keep-alive connections (Keycloak's back-channel client keeps one open) must not hold a
        # stop forever: requests in flight get this long to finish.
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
