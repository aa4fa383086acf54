"""A session stand-in for repository unit tests: it records every statement a repository asks it to
run — ORM statements, streamed ones, and raw asyncpg statements with their arguments — answers with
no rows, and ``sql`` renders a recorded ORM statement as PostgreSQL would receive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement


def sql(statement: ClauseElement) -> str:
    """The statement's SQL for PostgreSQL, its parameters written in, on one line."""
    compiled = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return " ".join(str(compiled).split())


class NoRows:
    """Every result shape a repository reads, empty."""

    rowcount = 0

    def scalar_one_or_none(self) -> None:
        return None

    def first(self) -> None:
        return None

    def scalars(self) -> NoRows:
        return self

    def all(self) -> list[Any]:
        return []

    def __iter__(self) -> Any:
        return iter(())

    async def partitions(self) -> AsyncIterator[list[Any]]:
        for batch in ():
            yield batch


class _Driver:
    """asyncpg's connection, as ``enclave.db.raw`` uses it: inside a transaction, finding nothing."""

    def __init__(self, raw: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.raw = raw

    def is_in_transaction(self) -> bool:
        return True

    async def fetchrow(self, sql: str, *args: Any) -> None:
        self.raw.append((sql, args))

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.raw.append((sql, args))
        return []

    async def execute(self, sql: str, *args: Any) -> None:
        self.raw.append((sql, args))


class _SyncSession:
    """The sync session behind it, as ``enclave.db.raw`` asks it: one transaction, throughout."""

    def __init__(self) -> None:
        self.transaction = object()

    def get_transaction(self) -> object:
        return self.transaction


class _Connection:
    def __init__(self, driver: _Driver) -> None:
        self.driver_connection = driver

    async def get_raw_connection(self) -> _Connection:
        return self


class RecordingSession:
    def __init__(self) -> None:
        #: ORM statements, in the order they were run (or streamed).
        self.statements: list[Any] = []
        #: Raw statements and their arguments (``enclave.db.raw``).
        self.raw: list[tuple[str, tuple[Any, ...]]] = []
        self.deleted: list[Any] = []
        self.flushes = 0
        self.info: dict[str, Any] = {}
        self.sync_session = _SyncSession()

    @property
    def session(self) -> AsyncSession:
        """This stand-in, typed as what repositories take."""
        return cast(AsyncSession, self)

    @property
    def last(self) -> str:
        """The SQL of the last ORM statement run."""
        return sql(self.statements[-1])

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> NoRows:
        self.statements.append(statement)
        return NoRows()

    async def stream(self, statement: Any, *args: Any, **kwargs: Any) -> NoRows:
        self.statements.append(statement)
        return NoRows()

    async def connection(self) -> _Connection:
        return _Connection(_Driver(self.raw))

    async def delete(self, obj: Any) -> None:
        self.deleted.append(obj)

    async def flush(self) -> None:
        self.flushes += 1
