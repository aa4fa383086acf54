"""PostgreSQL as its superuser, over verified TLS: for what no application role may do (make a
database, load ``auto_explain``, or plant a state the application refuses to make)."""

from __future__ import annotations

import asyncpg

from tests.integration.stack import Stack


async def superuser(stack: Stack, database: str | None = None) -> asyncpg.Connection:
    """A connection to ``database`` (the application's by default); the caller closes it."""
    return await asyncpg.connect(
        host=stack.env["ENCLAVE_DB_HOST"],
        port=int(stack.env["ENCLAVE_DB_PORT"]),
        user=stack.env["ENCLAVE_DB_SUPERUSER"],
        password=stack.secret("ENCLAVE_DB_SUPERUSER_PASSWORD_FILE"),
        database=database or stack.env["ENCLAVE_DB_NAME"],
        ssl=stack.tls,
    )


async def execute_past_triggers(stack: Stack, statement: str, *args: object) -> None:
    """One statement with triggers off for its transaction (``session_replication_role = replica``)."""
    connection = await superuser(stack)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.execute(statement, *args)
    finally:
        await connection.close()
