"""Label Studio's own database and role in the stack's PostgreSQL: made fresh for each run, dropped after.

Owns the superuser connection (TLS, verified against the stack's CA) and the two DDL steps. The role's
password is made here, per run, and leaves only as a SCRAM verifier (so no statement log can hold it)
and through the environment of Label Studio's processes. Must never touch Enclave's own database or roles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from tests.integration.stack import Stack

#: One name for the database and its owner role; a run drops what an interrupted run left behind.
NAME = "label_studio_bench"
_SCRAM_ITERATIONS = 4096


@dataclass(frozen=True)
class Database:
    """Where and as whom Label Studio connects."""

    host: str
    port: int
    name: str
    user: str
    password: str
    ca_file: str


def scram_sha256_verifier(password: str) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677), computed on this side."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


async def _superuser(stack: Stack) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=stack.env["ENCLAVE_DB_HOST"],
        port=int(stack.env["ENCLAVE_DB_PORT"]),
        database="postgres",
        user=stack.env["ENCLAVE_DB_SUPERUSER"],
        password=stack.secret("ENCLAVE_DB_SUPERUSER_PASSWORD_FILE"),
        ssl=stack.tls,
    )


async def _drop(connection: asyncpg.Connection) -> None:
    await connection.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
    await connection.execute(f"DROP ROLE IF EXISTS {NAME}")


async def create_database(stack: Stack) -> Database:
    """A new, empty database owned by a new login role with a random password."""
    password = secrets.token_urlsafe(32)
    connection = await _superuser(stack)
    try:
        await _drop(connection)
        verifier = scram_sha256_verifier(password)
        # DDL takes no bind parameters; the verifier is base64 and '$', ':' only, so quoting is safe.
        await connection.execute(f"CREATE ROLE {NAME} LOGIN PASSWORD '{verifier}'")
        await connection.execute(f"CREATE DATABASE {NAME} OWNER {NAME}")
    finally:
        await connection.close()
    return Database(
        host=stack.env["ENCLAVE_DB_HOST"],
        port=int(stack.env["ENCLAVE_DB_PORT"]),
        name=NAME,
        user=NAME,
        password=password,
        ca_file=stack.ca_file,
    )


async def drop_database(stack: Stack) -> None:
    """Removes the database and its role (connections still open are ended)."""
    connection = await _superuser(stack)
    try:
        await _drop(connection)
    finally:
        await connection.close()
