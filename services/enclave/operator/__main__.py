"""``enclave-operator`` (``python -m enclave.operator``): runs the kopf operator.

It watches Organizations in every namespace (or those listed in ``ENCLAVE_OPERATOR_NAMESPACES``) and,
unless ``ENCLAVE_OPERATOR_STANDALONE`` is set, takes part in kopf's peering so that of several replicas
only the live one with the highest priority acts. Its settings are the services' ``ENCLAVE_*`` ones
(TLS, database, Vault, S3, Keycloak) and its own ``ENCLAVE_OPERATOR_*`` ones; invalid settings stop it
at once (exit 2), naming the fields, never their values. SIGTERM stops it (kopf finishes the handler in
hand).
"""

from __future__ import annotations

import importlib
import logging
import secrets
import sys

import kopf
import structlog
from pydantic import ValidationError

from enclave.egress import install as install_egress_guard
from enclave.logging import configure_logging
from enclave.operator.settings import OperatorSettings, get_operator_settings
from enclave.settings import DatabaseSettings, KeycloakSettings, S3Settings, TLSSettings, VaultSettings

log = structlog.get_logger("enclave.operator")


def _check_settings() -> list[str]:
    """The fields of every setting the operator reads that are missing or invalid."""
    problems: list[str] = []
    for part in (
        OperatorSettings,
        TLSSettings,
        DatabaseSettings,
        VaultSettings,
        S3Settings,
        KeycloakSettings,
    ):
        try:
            part()
        except ValidationError as error:
            problems += [f"{part.__name__}.{'.'.join(map(str, item['loc']))}" for item in error.errors()]
    return problems


def main(argv: list[str] | None = None) -> int:
    if {"-h", "--help"} & set(sys.argv[1:] if argv is None else argv):
        print(__doc__)
        return 0
    configure_logging()
    # httpx logs every request at INFO: the probes of every Organization on every drift round.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    problems = _check_settings()
    if problems:
        log.error("operator.settings_invalid", fields=problems)
        return 2
    settings = get_operator_settings()
    install_egress_guard(kube=True)
    # Imported once the settings are known to be valid: importing it registers the handlers, and
    # reads the drift interval for the timer's decorator.
    importlib.import_module("enclave.operator.main")
    # Random by default: replicas of one priority all pause (kopf cannot tell which should act).
    priority = settings.peering_priority
    if priority is None:
        priority = secrets.randbelow(2**31 - 1)
    kopf.run(
        standalone=settings.standalone,
        peering_name=None if settings.standalone else settings.peering_name,
        priority=priority,
        clusterwide=not settings.namespaces,
        namespaces=settings.namespaces,
        liveness_endpoint=settings.liveness_url,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
