"""Security fixtures: the integration suite's real stack and api, plus what a security test needs to
reach past the api — raw object storage, PostgreSQL as its superuser — and to put content in.

The stack and api fixtures are shared by every suite (``tests/support/stack_fixtures.py``), so these
tests run against the same real processes as the integration suite.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import httpx
import pytest
from minio import Minio

from tests.integration.domain.world import Tenant, sql_as_tenant
from tests.integration.stack import Stack
from tests.support.minio import raw_minio
from tests.support.needles import CHUNK, Fed, NeedleSearch
from tests.support.realm_fixtures import org, realms

#: The realm fixtures (a tenant with its own Keycloak realm) for the modules that sign people in.
__all__ = ["org", "realms"]


def _png_head() -> bytes:
    """A PNG signature and a complete IHDR chunk (1x1, 8-bit RGB): all the sniffer looks at."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


PNG_HEAD = _png_head()


@dataclass(frozen=True)
class Uploaded:
    """One uploaded file: its item id and name, and the exact bytes that were sent."""

    id: str
    name: str
    data: bytes


UploadPng = Callable[[Tenant, str, str, bytes], Uploaded]


@pytest.fixture(scope="session")
def upload_png() -> UploadPng:
    """Uploads ``PNG_HEAD + payload`` as a new item named ``name`` through ``POST /datasets/{id}/files``."""

    def upload(tenant: Tenant, dataset_id: str, name: str, payload: bytes) -> Uploaded:
        data = PNG_HEAD + payload
        headers = {"Content-Type": "image/png", "Content-Disposition": f'attachment; filename="{name}"'}
        item = tenant.ok("POST", f"/datasets/{dataset_id}/files", content=data, headers=headers)
        assert (item["name"], item["media_type"], item["size"]) == (name, "image/png", len(data))
        return Uploaded(item["id"], name, data)

    return upload


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    """A new organization of its own for each test: whatever a test damages is nobody else's."""
    return Tenant.create(api)


@pytest.fixture(scope="session")
def raw_store(stack: Stack) -> Minio:
    """MinIO as the api's storage credentials see it: the stored ciphertext, no api in between."""
    return raw_minio(stack)


class Superuser:
    """PostgreSQL as its superuser, over verified TLS: past row-level security, grants and triggers."""

    def __init__(self, services: Stack) -> None:
        self._stack = services

    def _value(self, name: str) -> str:
        return self._stack.env[name]

    def _dump_command(self) -> tuple[list[str], dict[str, str]]:
        """``pg_dump`` of the whole application database (schema and data, plain format), and its
        environment (the password never on a command line)."""
        env = os.environ | {
            "PGPASSWORD": self._stack.secret("ENCLAVE_DB_SUPERUSER_PASSWORD_FILE"),
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": self._stack.ca_file,
        }
        command = [
            _pg_dump(),
            "--format=plain",
            "--no-password",
            f"--host={self._value('ENCLAVE_DB_HOST')}",
            f"--port={self._value('ENCLAVE_DB_PORT')}",
            f"--username={self._value('ENCLAVE_DB_SUPERUSER')}",
            f"--dbname={self._value('ENCLAVE_DB_NAME')}",
        ]
        return command, env

    def search_dump(self, needles: Iterable[tuple[str, bytes]]) -> NeedleSearch:
        """The dump searched for ``needles`` (``stream_dump``)."""
        search = NeedleSearch(needles)
        self.stream_dump(search)
        return search

    def stream_dump(self, *searches: Fed) -> None:
        """Feeds the dump to each of ``searches`` as ``pg_dump`` writes it, chunk by chunk, never held
        whole: the database may hold gigabytes (a machine that ran the benchmarks)."""
        command, env = self._dump_command()
        with tempfile.TemporaryFile() as errors:
            dumping = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors)
            assert dumping.stdout is not None
            with dumping.stdout:
                while chunk := dumping.stdout.read(CHUNK):
                    for search in searches:
                        search.feed(chunk)
            returncode = dumping.wait()
            errors.seek(0)
            assert returncode == 0, errors.read().decode(errors="replace")

    def execute(self, statement: str, *args: Any) -> list[asyncpg.Record]:
        """One statement in its own transaction, with triggers off for this session only
        (``session_replication_role = replica``): the append-only tables can be changed."""
        return asyncio.run(self._execute(statement, args))

    async def _execute(self, statement: str, args: tuple[Any, ...]) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(
            host=self._value("ENCLAVE_DB_HOST"),
            port=int(self._value("ENCLAVE_DB_PORT")),
            user=self._value("ENCLAVE_DB_SUPERUSER"),
            password=self._stack.secret("ENCLAVE_DB_SUPERUSER_PASSWORD_FILE"),
            database=self._value("ENCLAVE_DB_NAME"),
            ssl=self._stack.tls,
        )
        try:
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                return list(await connection.fetch(statement, *args))
        finally:
            await connection.close()


def _pg_dump() -> str:
    """The pg_dump of the installed PostgreSQL: ``pg_config --bindir``, else the newest Debian one."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(bindir.stdout.strip()) / "pg_dump"
        if bindir.returncode == 0 and candidate.is_file():
            return str(candidate)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return found[-1]
    on_path = shutil.which("pg_dump")
    assert on_path is not None, "pg_dump is not installed"
    return on_path


@pytest.fixture(scope="session")
def superuser(stack: Stack) -> Superuser:
    return Superuser(stack)


# --- the audit trail -------------------------------------------------------------------------------

RECORDS = 5


def verify(stack: Stack, tenant: Tenant | None = None, *options: str) -> subprocess.CompletedProcess[str]:
    """``enclave-audit verify`` for the tenant's organization (every organization without one)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "enclave.audit_service",
            "verify",
            *options,
            *([str(tenant.org_id)] if tenant else []),
        ],
        env=os.environ | stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def wait_for_checkpoint(tenant: Tenant, seq: int) -> None:
    deadline = time.monotonic() + 30
    while not sql_as_tenant(tenant.org_id, "SELECT 1 FROM audit_checkpoints WHERE seq = :seq", seq=seq):
        assert time.monotonic() < deadline, f"the audit service signed no checkpoint at record {seq}"
        time.sleep(0.2)


@pytest.fixture
def chained(tenant: Tenant, audit_service: object) -> Tenant:
    """An organization with five records, all covered by a signed checkpoint."""
    for n in range(RECORDS):
        tenant.ok("POST", "/datasets", json={"name": f"d{n}", "kind": "image"})
    wait_for_checkpoint(tenant, RECORDS)
    return tenant
