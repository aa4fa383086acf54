"""The log's statements: each read and write of one chain names its organization; the append stays
one raw INSERT of arrays whose columns line up with the records; a search applies exactly the
filters it is given; nothing but the audit service's cross-organization reads spans organizations;
and the guard's catalog read asks for the constraint by the name and text it is given."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from enclave.audit_trail.verify import StoredRecord
from enclave.db.repositories import audit_log
from enclave.db.repositories.audit_log import (
    AuditLogRepository,
    TrailFilter,
    commit_without_flush_wait,
    heads_and_signed,
    logged_event_ids,
    organizations_with_trail,
    standing_constraint,
)
from tests.unit.db.repositories.statements import RecordingSession, one_line

ORG = uuid.UUID(int=1)
TENANT = "audit_log.organization_id = %(organization_id_1)s::UUID"
CHECKPOINTS_TENANT = "audit_checkpoints.organization_id = %(organization_id_1)s::UUID"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def log(session: RecordingSession) -> AuditLogRepository:
    return AuditLogRepository(session, ORG)  # type: ignore[arg-type]


#: A stored record as the log gives it back.
Record = StoredRecord


class TestAppend:
    def test_the_raw_append_names_the_organization_and_takes_arrays(self) -> None:
        sql = one_line(audit_log._APPEND)
        assert sql.startswith("INSERT INTO audit_log (organization_id, seq, event_id, occurred_at,")
        assert "SELECT $1::uuid, * FROM unnest($2::bigint[]" in sql
        assert "$11::bytea[]" in sql

    async def test_one_statement_per_batch_its_columns_in_order(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sent: list[tuple[str, tuple[Any, ...]]] = []

        async def execute(_session: object, sql: str, *args: Any) -> None:
            sent.append((sql, args))

        monkeypatch.setattr(audit_log, "execute", execute)
        records = [
            Record(n, uuid.uuid4(), "a", f"actor{n}", "t", "success", b"c%d" % n, b"p%d" % n, b"h%d" % n)
            for n in (1, 2)
        ]
        await log(RecordingSession()).append(records, [NOW, NOW])
        [(sql, args)] = sent
        assert sql == audit_log._APPEND
        assert args[0] == ORG
        assert args[1:] == (
            [1, 2], [r.event_id for r in records], [NOW, NOW], ["a", "a"], ["actor1", "actor2"], ["t", "t"],
            ["success", "success"], [b"c1", b"c2"], [b"p1", b"p2"], [b"h1", b"h2"],
        )  # fmt: skip

    async def test_the_head_is_the_last_record_of_the_organization(self) -> None:
        session = RecordingSession((5, b"hash"))
        assert await log(session).head() == (5, b"hash")
        assert TENANT in session.sql
        assert session.sql.endswith("ORDER BY audit_log.seq DESC LIMIT %(param_1)s::INTEGER")

    async def test_an_empty_chain_has_no_head(self) -> None:
        assert await log(RecordingSession(None)).head() is None


class TestCheckpoints:
    async def test_last_signed_is_the_organizations(self) -> None:
        session = RecordingSession(None)
        assert await log(session).last_signed() == 0
        assert session.sql.startswith("SELECT max(audit_checkpoints.seq)")
        assert CHECKPOINTS_TENANT in session.sql

    async def test_a_checkpoint_signed_twice_is_stored_once(self) -> None:
        session = RecordingSession()
        await log(session).add_checkpoint(9, b"head", "sig", 2, NOW)
        assert session.sql.startswith("INSERT INTO audit_checkpoints (organization_id, seq,")
        assert session.sql.endswith("ON CONFLICT DO NOTHING")
        assert session.params[0]["organization_id"] == ORG
        assert session.params[0]["seq"] == 9

    async def test_a_span_of_checkpoints(self) -> None:
        session = RecordingSession([])
        await log(session).checkpoints(3, 8)
        assert CHECKPOINTS_TENANT in session.sql
        assert "audit_checkpoints.seq >= %(seq_1)s" in session.sql
        assert "audit_checkpoints.seq <= %(seq_2)s" in session.sql
        assert session.sql.endswith("ORDER BY audit_checkpoints.seq")

    async def test_all_checkpoints(self) -> None:
        session = RecordingSession([])
        await log(session).checkpoints()
        assert CHECKPOINTS_TENANT in session.sql
        assert "audit_checkpoints.seq >=" not in session.sql

    async def test_the_first_checkpoint_from_a_record(self) -> None:
        session = RecordingSession(12)
        assert await log(session).first_checkpoint_from(10) == 12
        assert CHECKPOINTS_TENANT in session.sql
        assert "audit_checkpoints.seq >= %(seq_1)s" in session.sql


class TestRecords:
    async def test_a_span_in_order_in_batches(self) -> None:
        session = RecordingSession([])
        await log(session).records(4, 9, limit=100)
        assert session.sql.startswith(
            "SELECT audit_log.seq, audit_log.event_id, audit_log.action, audit_log.actor, audit_log.target,"
            " audit_log.outcome, audit_log.content, audit_log.prev_hash, audit_log.hash FROM audit_log"
        )
        assert TENANT in session.sql
        assert "audit_log.seq >= %(seq_1)s::BIGINT AND audit_log.seq <= %(seq_2)s::BIGINT" in session.sql
        assert session.sql.endswith("ORDER BY audit_log.seq LIMIT %(param_1)s::INTEGER")
        assert session.params[0]["param_1"] == 100

    async def test_the_whole_chain(self) -> None:
        session = RecordingSession([])
        await log(session).records()
        assert TENANT in session.sql
        assert "audit_log.seq >=" not in session.sql
        assert session.sql.endswith("ORDER BY audit_log.seq")


class TestSearch:
    async def _search(self, after: int | None = None, **given: Any) -> RecordingSession:
        session = RecordingSession([(3, b"content")])
        assert await log(session).search(TrailFilter(**given), after, 51) == [(3, b"content")]
        return session

    async def test_no_filter_is_the_organizations_trail_in_order(self) -> None:
        session = await self._search()
        assert session.sql == (
            "SELECT audit_log.seq, audit_log.content FROM audit_log WHERE audit_log.organization_id ="
            " %(organization_id_1)s::UUID ORDER BY audit_log.seq LIMIT %(param_1)s::INTEGER"
        )
        assert session.params[0]["param_1"] == 51

    @pytest.mark.parametrize("column", ["actor", "action", "target", "outcome"])
    async def test_each_filter_is_its_column(self, column: str) -> None:
        session = await self._search(**{column: "x"})
        assert f"audit_log.{column} = %({column}_1)s" in session.sql
        assert session.params[0][f"{column}_1"] == "x"

    async def test_time_and_cursor(self) -> None:
        session = await self._search(since=NOW, until=NOW, after=40)
        assert "audit_log.occurred_at >= %(occurred_at_1)s" in session.sql
        assert "audit_log.occurred_at < %(occurred_at_2)s" in session.sql
        assert "audit_log.seq > %(seq_1)s" in session.sql
        assert TENANT in session.sql

    async def test_bounds_of_a_time_range(self) -> None:
        session = RecordingSession((2, 7))
        assert await log(session).bounds(NOW, None) == (2, 7)
        assert session.sql.startswith("SELECT min(audit_log.seq) AS min_1, max(audit_log.seq) AS max_1")
        assert TENANT in session.sql
        assert "audit_log.occurred_at >= %(occurred_at_1)s" in session.sql

    async def test_a_range_without_records_has_no_bounds(self) -> None:
        assert await log(RecordingSession((None, None))).bounds(None, None) is None


class TestTheAuditServicesReads:
    async def test_known_event_ids_by_one_array(self) -> None:
        known = uuid.uuid4()
        session = RecordingSession([known])
        assert await logged_event_ids(session, [known, uuid.uuid4()]) == {known}  # type: ignore[arg-type]
        assert session.sql.startswith("SELECT event_id FROM audit_log WHERE event_id = ANY(")

    async def test_every_head_with_its_last_checkpoint_in_one_query(self) -> None:
        session = RecordingSession([(ORG, 10, 4)])
        assert await heads_and_signed(session) == [(ORG, 10, 4)]  # type: ignore[arg-type]
        assert session.sql.count("GROUP BY") == 2
        assert "LEFT OUTER JOIN" in session.sql

    async def test_organizations_with_a_trail(self) -> None:
        session = RecordingSession([ORG, ORG])
        assert await organizations_with_trail(session) == {ORG}  # type: ignore[arg-type]
        assert session.sql == "SELECT DISTINCT audit_log.organization_id FROM audit_log"

    async def test_commits_without_waiting_for_the_disk(self) -> None:
        session = RecordingSession()
        await commit_without_flush_wait(session)  # type: ignore[arg-type]
        assert session.sql == "SET LOCAL synchronous_commit = off"


class TestTheGuardsCatalogRead:
    async def test_asks_for_the_constraint_by_name_and_text(self) -> None:
        session = RecordingSession("16384/42")
        assert await standing_constraint(session, "ck_x", "CHECK (true)") == "16384/42"  # type: ignore[arg-type]
        assert session.params[0] == {"name": "ck_x", "definition": "CHECK (true)"}
        sql = session.sql
        assert "FROM pg_constraint c WHERE c.conrelid = 'public.audit_log'::regclass" in sql
        assert "c.convalidated" in sql
        assert "pg_get_constraintdef(c.oid) = %(definition)s" in sql
        assert "refclassid = 'pg_proc'::regclass" in sql  # calls no function but the built-ins
        assert "age(p.xmin) < age(c.xmin)" in sql  # none of which was replaced after it
