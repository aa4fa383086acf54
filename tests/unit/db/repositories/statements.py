"""A session stand-in for repository tests: it compiles each statement it is asked to run for
PostgreSQL, keeps the SQL (on one line) and its parameters, and answers with what the test gave it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.dialects import postgresql


class Answer:
    """What a statement "returned": one value, read whichever way the repository reads it."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.rowcount = value if isinstance(value, int) else 0

    def scalar_one_or_none(self) -> Any:
        return self.value

    def scalar_one(self) -> Any:
        return self.value

    def first(self) -> Any:
        return self.value

    def one(self) -> Any:
        return self.value

    def all(self) -> Any:
        return self.value if self.value is not None else []

    def scalars(self) -> Answer:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self.all())


class RecordingSession:
    """Keeps every statement it is asked to run; ``answers`` are returned in order (then None)."""

    def __init__(self, *answers: Any) -> None:
        self.statements: list[str] = []
        self.params: list[dict[str, Any]] = []
        self.added: list[Any] = []
        self.flushed = 0
        self.refreshed: list[Any] = []
        self._answers = list(answers)

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Answer:
        compiled = statement.compile(dialect=postgresql.dialect())
        self.statements.append(" ".join(str(compiled).split()))
        self.params.append({**compiled.params, **(params or {})})
        return Answer(self._answers.pop(0) if self._answers else None)

    def add(self, row: Any) -> None:
        self.added.append(row)

    async def flush(self) -> None:
        self.flushed += 1

    async def refresh(self, row: Any) -> None:
        self.refreshed.append(row)

    @property
    def sql(self) -> str:
        """The one statement run (a test that expects several reads ``statements``)."""
        assert len(self.statements) == 1, self.statements
        return self.statements[0]


def one_line(sql: str) -> str:
    return " ".join(sql.split())
