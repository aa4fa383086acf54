"""PostgreSQL accepts only verified TLS, and the api's role cannot escape its privileges."""

from __future__ import annotations

import asyncpg
import pytest

from tests.integration.stack import Stack


async def _connect(
    stack: Stack, ssl: object, user: str = "enclave_api", password_var: str = "ENCLAVE_DB_PASSWORD_FILE"
):
    return await asyncpg.connect(
        host=stack.env["ENCLAVE_DB_HOST"],
        port=int(stack.env["ENCLAVE_DB_PORT"]),
        database=stack.env["ENCLAVE_DB_NAME"],
        user=user,
        password=stack.secret(password_var),
        ssl=ssl,
        timeout=10,
    )


class TestPostgresTLS:
    async def test_verified_tls_connection_works_and_is_encrypted(self, stack: Stack) -> None:
        conn = await _connect(stack, stack.tls)
        try:
            row = await conn.fetchrow("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        finally:
            await conn.close()
        assert row["ssl"] is True
        assert row["version"] in {"TLSv1.2", "TLSv1.3"}

    async def test_plaintext_connection_is_refused(self, stack: Stack) -> None:
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
            await _connect(stack, False)

    async def test_server_not_signed_by_a_trusted_ca_is_refused(self, stack: Stack) -> None:
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            await _connect(stack, stack.foreign_tls)

    async def test_wrong_password_is_refused(self, stack: Stack) -> None:
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(
                host="localhost",
                port=int(stack.env["ENCLAVE_DB_PORT"]),
                database="enclave",
                user="enclave_api",
                password="not-the-password",
                ssl=stack.tls,
                timeout=10,
            )


class TestPostgresRoles:
    @pytest.mark.parametrize(
        "role_var", ["ENCLAVE_DB_USER", "ENCLAVE_DB_AUDIT_USER", "ENCLAVE_DB_OWNER_USER"]
    )
    async def test_service_roles_are_least_privileged(self, stack: Stack, role_var: str) -> None:
        conn = await _connect(stack, stack.tls)
        try:
            role = await conn.fetchrow(
                "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication"
                " FROM pg_roles WHERE rolname = $1",
                stack.env[role_var],
            )
        finally:
            await conn.close()
        assert dict(role) == {
            "rolsuper": False,
            "rolbypassrls": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
            "rolreplication": False,
        }

    async def test_api_role_cannot_create_tables(self, stack: Stack) -> None:
        conn = await _connect(stack, stack.tls)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE api_may_not_do_ddl (id int)")
        finally:
            await conn.close()
