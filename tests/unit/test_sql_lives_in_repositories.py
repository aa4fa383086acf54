"""All SQL lives in the data package (``enclave.db``: repositories, the raw-statement runner, the
tenant binding, migrations): no other module builds a query or runs one. ``make check`` runs this.

Read from the source (AST), not by importing: a statement built in a function that no test calls
is found too. What counts as building SQL: SQLAlchemy's statement and expression constructors
(``select``, ``insert``, ``update``, ``delete``, ``text``, ``func``, ...), the raw-statement runner
(``enclave.db.raw``), running anything on a session or connection (``execute``, ``scalar``,
``scalars``, ``stream``), and string literals written as SQL statements.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCES = Path(__file__).parents[2] / "services" / "enclave"
DATA_PACKAGE = SOURCES / "db"

#: SQLAlchemy names that build statements or SQL expressions.
BUILDERS = frozenset(
    {
        "select", "insert", "update", "delete", "text", "func", "literal", "literal_column", "and_",
        "or_", "not_", "exists", "union", "union_all", "bindparam", "case", "cast", "column", "table",
        "tuple_", "values", "lateral", "Select", "Insert", "Update", "Delete", "TextClause",
    }
)  # fmt: skip
#: Methods that send a statement to the database (with the statement as argument). Not ``stream``:
#: object-store responses have one too; a module that streams rows also builds what it streams.
RUNNERS = frozenset({"execute", "scalar", "scalars", "stream_scalars", "exec_driver_sql"})
#: A string literal written as SQL (keywords in capitals, as all our SQL is): a statement keyword,
#: then what such a statement must contain.
SQL_LITERAL = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|WITH\s+\w+\s+AS\b)",
    re.DOTALL,
)


def _modules() -> list[Path]:
    return sorted(p for p in SOURCES.rglob("*.py") if DATA_PACKAGE not in p.parents)


def sql_in(source: str) -> Iterator[str]:
    """Where ``source`` builds or runs SQL: one line per place, ``<line>: <what>``."""
    tree = ast.parse(source)
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "enclave.db.raw":
                yield f"{node.lineno}: imports the raw-statement runner"
            elif node.module.split(".")[0] == "sqlalchemy":
                built = sorted(a.name for a in node.names if a.name in BUILDERS)
                if built:
                    yield f"{node.lineno}: imports {', '.join(built)} from {node.module}"
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"}
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr in BUILDERS
        ):
            yield f"{node.lineno}: uses {node.value.id}.{node.attr}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNNERS
            and node.args
        ):
            yield f"{node.lineno}: runs a statement ({node.func.attr})"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_LITERAL.match(node.value):
            yield f"{node.lineno}: a SQL statement in a string"


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(SOURCES)))
def test_no_sql_outside_the_data_package(module: Path) -> None:
    assert list(sql_in(module.read_text())) == []


class TestTheCheckFindsSql:
    """The check itself, on sources written to break it (so that it cannot pass by finding nothing)."""

    @pytest.mark.parametrize(
        "source",
        [
            "from sqlalchemy import select\n",
            "from sqlalchemy.dialects.postgresql import insert\n",
            "import sqlalchemy as sa\nstatement = sa.text('x')\n",
            "from enclave.db.raw import fetch_row\n",
            "async def f(session, s):\n    await session.execute(s)\n",
            "async def f(connection):\n    await connection.fetchrow('SELECT 1 FROM t')\n",
            'QUERY = """\nUPDATE tasks SET stage = $1 WHERE id = $2\n"""\n',
            "Q = 'DELETE FROM api_keys WHERE id = $1'\n",
        ],
    )
    def test_it_finds(self, source: str) -> None:
        assert list(sql_in(source))

    @pytest.mark.parametrize(
        "source",
        [
            "from sqlalchemy.ext.asyncio import AsyncSession\n",
            "async def f(pipe):\n    await pipe.execute()\n",
            "MESSAGE = 'Select a project from the list.'\n",
            "from sqlalchemy.exc import IntegrityError\n",
        ],
    )
    def test_it_leaves_alone(self, source: str) -> None:
        assert list(sql_in(source)) == []
