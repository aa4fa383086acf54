"""The readiness probe's round trip to PostgreSQL: one statement that reads no table."""

from __future__ import annotations

from enclave.db.repositories.health import ping
from tests.unit.db.repositories.statements import RecordingSession


async def test_ping_reads_no_table() -> None:
    connection = RecordingSession()
    await ping(connection)  # type: ignore[arg-type]
    assert connection.sql == "SELECT 1"
