"""Serves the api over HTTPS only: ``python -m enclave.api`` (or the ``enclave-api`` command).

uvicorn gets the certificate and key from settings; there is no plaintext listener to enable.
"""

from __future__ import annotations

import ssl

import uvicorn

from enclave.logging import configure_logging
from enclave.settings import get_settings


def main() -> None:
    configure_logging()
    api = get_settings().api
    uvicorn.run(
        "enclave.api.app:create_app",
        factory=True,
        host=api.host,
        port=api.port,
        ssl_certfile=str(api.tls_cert_file),
        ssl_keyfile=str(api.tls_key_file),
        ssl_version=ssl.PROTOCOL_TLS_SERVER,
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
