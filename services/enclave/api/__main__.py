"""Serves the api over HTTPS only: ``python -m enclave.api`` (or the ``enclave-api`` command).

uvicorn gets the certificate and key from settings; there is no plaintext listener to enable.
"""

from __future__ import annotations

import socket
import ssl
from typing import TYPE_CHECKING, Any

import uvicorn

from enclave.egress import install as install_egress_guard
from enclave.logging import configure_logging
from enclave.settings import get_settings

if TYPE_CHECKING:
    from litestar import Litestar


#: What uvicorn imports in each server process.
APP = "enclave.api.__main__:guarded_app"


def guarded_app() -> Litestar:
    """The app of one server process, its egress guard installed first (each process uvicorn
    spawns starts here, not in ``main``)."""
    install_egress_guard()
    from enclave.api.app import create_app  # here: the supervisor process never loads the app

    return create_app()


def shared_socket(host: str, port: int) -> socket.socket:
    """The api's port bound with ``SO_REUSEPORT``: every replica binds its own, and the kernel hands
    each new connection to one of them (uvicorn has no such option; it serves a socket it is given)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    return listener


def main() -> None:
    configure_logging()
    api = get_settings().api
    options: dict[str, Any] = {
        "factory": True,
        "host": api.host,
        "port": api.port,
        "ssl_certfile": str(api.tls_cert_file),
        "ssl_keyfile": str(api.tls_key_file),
        "ssl_version": ssl.PROTOCOL_TLS_SERVER,
        # TLS 1.2 with AEAD suites only (TLS 1.3's are all AEAD); tests/security/test_tls_scan.py.
        "ssl_ciphers": "ECDHE+AESGCM:ECDHE+CHACHA20",
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        # Keep-alive connections (Keycloak's back-channel client keeps one open) must not hold a
        # stop forever: requests in flight get this long to finish.
        "timeout_graceful_shutdown": 10,
    }
    if api.shared_port:
        config = uvicorn.Config(APP, workers=1, **options)
        uvicorn.Server(config).run(sockets=[shared_socket(api.host, api.port)])
    else:
        uvicorn.run(APP, workers=api.workers, **options)


if __name__ == "__main__":
    main()
