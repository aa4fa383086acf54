"""The SQLAlchemy async engine on asyncpg, always over verified TLS (verify-full).

Owns how a service connects to PostgreSQL: which role, which password file, which TLS context.
Must never connect without TLS or put a password into a URL (it would end up in logs and reprs).
"""

from __future__ import annotations

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from enclave.settings import DatabaseSettings, TLSSettings, read_secret
from enclave.tls import client_context


def database_url(db: DatabaseSettings, user: str) -> URL:
    """The connection URL for ``user``, without a password."""
    return URL.create("postgresql+asyncpg", username=user, host=db.host, port=db.port, database=db.name)


def create_engine(
    db: DatabaseSettings,
    tls: TLSSettings,
    *,
    as_owner: bool = False,
    as_audit: bool = False,
    application_name: str = "enclave-api",
    pool_size: int | None = None,
) -> AsyncEngine:
    """An engine logging in as the api role, as the audit service's role, or as the schema owner
    for migrations."""
    if as_owner:
        if db.owner_password_file is None:
            raise ValueError("ENCLAVE_DB_OWNER_PASSWORD_FILE is required to run migrations")
        user, password_file = db.owner_user, db.owner_password_file
    elif as_audit:
        if db.audit_password_file is None:
            raise ValueError("ENCLAVE_DB_AUDIT_PASSWORD_FILE is required to run the audit service")
        user, password_file = db.audit_user, db.audit_password_file
    else:
        user, password_file = db.user, db.password_file
    return create_async_engine(
        database_url(db, user),
        pool_size=pool_size or db.pool_size,
        # A failed statement's error names no parameter values: they may hold a person's e-mail
        # address or a blind index, and errors reach the logs.
        hide_parameters=True,
        # Bursts beyond the pool get extra connections (made, then closed) rather than a wait.
        max_overflow=pool_size or db.pool_size,
        # No ping before each use (two round trips on every request): a connection that died with
        # its server fails its request with a 503 and the pool is renewed at once (SQLAlchemy drops
        # every pooled connection on a disconnect), and none is kept longer than this.
        pool_recycle=1800,
        connect_args={
            # An SSLContext with check_hostname=True and CERT_REQUIRED is asyncpg's verify-full.
            "ssl": client_context(tls.ca_file),
            "password": read_secret(password_file),
            "server_settings": {"application_name": application_name},
            "timeout": 10,
        },
    )
