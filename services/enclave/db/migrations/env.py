"""Alembic's entry point: runs migrations online, as the schema owner, over verified TLS."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from enclave.db.engine import create_engine
from enclave.db.models import Base
from enclave.settings import DatabaseSettings, TLSSettings


def _run(connection: Connection, db: DatabaseSettings) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, transaction_per_migration=True)
    # Migrations grant table rights to the roles the services log in as; they read the names here.
    context.config.attributes["api_role"] = db.user
    context.config.attributes["audit_role"] = db.audit_user
    with context.begin_transaction():
        context.run_migrations()


async def _migrate() -> None:
    db, tls = DatabaseSettings(), TLSSettings()
    engine = create_engine(db, tls, as_owner=True, application_name="enclave-migrate")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, db)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them against the database")
asyncio.run(_migrate())
