"""Migrations apply as the owner role and grant the api role only what it needs."""

from __future__ import annotations

import asyncpg
import pytest

from tests.integration.stack import Stack, migrate


async def _api_connection(stack: Stack) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="localhost",
        port=int(stack.env["ENCLAVE_DB_PORT"]),
        database=stack.env["ENCLAVE_DB_NAME"],
        user=stack.env["ENCLAVE_DB_USER"],
        password=stack.secret("ENCLAVE_DB_PASSWORD_FILE"),
        ssl=stack.tls,
    )


class TestMigrations:
    def test_upgrade_head_is_idempotent(self, stack: Stack) -> None:
        for _ in range(2):
            migrate(stack)

    async def test_installation_row_is_readable_but_not_writable_by_the_api(self, migrated: Stack) -> None:
        conn = await _api_connection(migrated)
        try:
            assert await conn.fetchval("SELECT count(*) FROM installation") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM installation")
        finally:
            await conn.close()
