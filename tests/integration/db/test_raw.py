"""``enclave.db.raw`` on the real PostgreSQL: its statements run inside the session's transaction, as
the bound tenant, and not at all before the tenant binding has begun that transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from enclave.db.engine import create_engine
from enclave.db.raw import OutsideTransaction, execute, fetch_row, fetch_rows
from enclave.db.session import bind_tenant, session_factory
from enclave.settings import DatabaseSettings, TLSSettings
from tests.integration.stack import Stack


@pytest.fixture
async def engine(stack: Stack) -> AsyncIterator[AsyncEngine]:
    made = create_engine(DatabaseSettings(), TLSSettings(), application_name="test-raw")
    yield made
    await made.dispose()


async def test_a_raw_statement_before_the_tenant_binding_is_refused(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        with pytest.raises(OutsideTransaction):
            await fetch_row(session, "SELECT 1")
        with pytest.raises(OutsideTransaction):
            await execute(session, "SELECT 1")


async def test_raw_statements_run_in_the_bound_tenants_transaction(engine: AsyncEngine) -> None:
    org, user = uuid.uuid4(), uuid.uuid4()
    async with session_factory(engine)() as session:
        await bind_tenant(session, org, user)
        row = await fetch_row(
            session,
            "SELECT current_setting('enclave.org_id'), current_setting('enclave.user_id'), txid_current()",
        )
        assert row is not None
        assert (row[0], row[1]) == (str(org), str(user))
        # The same transaction as the session's own statements.
        (same,) = (await session.execute(_TXID)).one()
        assert same == row[2]
        assert await fetch_rows(session, "SELECT $1::uuid UNION ALL SELECT $2::uuid", org, user) == [
            (org,),
            (user,),
        ]
        await session.rollback()
    async with session_factory(engine)() as session:
        # Transaction-local: the next transaction on the pooled connection carries no tenant.
        await session.connection()
        (setting,) = (await session.execute(_ORG_SETTING)).one()
        assert setting in (None, "")


async def test_each_transaction_of_a_session_runs_on_its_own_connection(engine: AsyncEngine) -> None:
    """The driver connection a transaction's raw statements use is its own: after a commit the
    session refuses raw statements until a binding begins the next transaction, and that one runs
    as the new tenant on the connection the pool gave it now, not on the one the first transaction
    had (here another session holds that one, in a transaction of another tenant)."""
    first, second, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    factory = session_factory(engine)
    async with factory() as session, factory() as holder:
        await bind_tenant(session, first)
        before = await fetch_row(session, _TENANT_AND_PID)
        assert before is not None
        assert before[0] == str(first)
        await session.commit()
        with pytest.raises(OutsideTransaction):
            await fetch_row(session, "SELECT 1")
        await session.rollback()
        # The pool hands the connection just returned to the next session that asks.
        await bind_tenant(holder, other)
        held = await fetch_row(holder, _TENANT_AND_PID)
        assert held is not None
        assert tuple(held) == (str(other), before[1])
        await bind_tenant(session, second)
        after = await fetch_row(session, _TENANT_AND_PID)
        assert after is not None
        assert after[0] == str(second)
        assert after[1] != before[1]
        (pid,) = (await session.execute(_PID)).one()
        assert pid == after[1]
        await holder.rollback()
        await session.rollback()


_TENANT_AND_PID = "SELECT current_setting('enclave.org_id'), pg_backend_pid()"
_PID = text("SELECT pg_backend_pid()")
_TXID = text("SELECT txid_current()")
_ORG_SETTING = text("SELECT current_setting('enclave.org_id', true)")
