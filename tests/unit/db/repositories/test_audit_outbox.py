"""The outbox's statements: the api's insert and the drain's take name the organization of each
event and stay raw (fixed SQL, ``$n`` parameters); the take runs only under the drain lock, oldest
first; a source's cursor is its organization's and never moves back; pulled events are offered once."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from enclave.db.repositories import audit_outbox
from enclave.db.repositories.audit_outbox import (
    DRAIN_LOCK,
    Offered,
    Outboxed,
    add_event,
    advance_cursor,
    members_by_subject,
    offer_events,
    readable_organizations,
    source_cursor,
    take_batch,
    try_lock_source,
)
from tests.unit.db.repositories.statements import RecordingSession, one_line

ORG = uuid.UUID(int=1)
SOURCE = "keycloak/acme"


class RawCalls:
    """Stands in for ``db.raw``'s runners: keeps each (sql, args) and answers with ``rows``."""

    def __init__(self, rows: list[tuple[Any, ...]] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._rows = rows or []

    async def execute(self, _session: object, sql: str, *args: Any) -> None:
        self.calls.append((sql, args))

    async def fetch_rows(self, _session: object, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        self.calls.append((sql, args))
        return self._rows


@pytest.mark.parametrize("name", ["_INSERT", "_TAKE"])
def test_every_raw_statement_names_the_organization(name: str) -> None:
    assert "organization_id" in getattr(audit_outbox, name)


class TestTheApisInsert:
    def test_inserts_one_row_and_reads_nothing_back(self) -> None:
        sql = one_line(audit_outbox._INSERT)
        assert sql.startswith("INSERT INTO audit_outbox (event_id, organization_id, event)")
        assert "$3::jsonb" in sql
        assert "RETURNING" not in sql  # the api's role may not SELECT the outbox

    async def test_sends_the_event_as_the_raw_statement(self, monkeypatch: pytest.MonkeyPatch) -> None:
        raw = RawCalls()
        monkeypatch.setattr(audit_outbox, "execute", raw.execute)
        event_id = uuid.uuid4()
        await add_event(RecordingSession(), event_id, ORG, '{"a": 1}')  # type: ignore[arg-type]
        assert raw.calls == [(audit_outbox._INSERT, (event_id, ORG, '{"a": 1}'))]


class TestTheDrainsTake:
    def test_deletes_the_oldest_only_under_the_drain_lock(self) -> None:
        sql = one_line(audit_outbox._TAKE)
        assert sql.startswith("DELETE FROM audit_outbox WHERE (SELECT pg_try_advisory_xact_lock($1))")
        assert "ORDER BY id LIMIT $2" in sql
        assert sql.endswith("RETURNING id, event_id, organization_id, event::text, created_at")

    async def test_takes_under_the_lock_and_returns_the_rows_in_outbox_order(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        first, second = uuid.uuid4(), uuid.uuid4()
        raw = RawCalls([(7, second, ORG, "{}", now), (3, first, ORG, "{}", now)])
        monkeypatch.setattr(audit_outbox, "fetch_rows", raw.fetch_rows)
        taken = await take_batch(RecordingSession(), 50)  # type: ignore[arg-type]
        assert raw.calls == [(audit_outbox._TAKE, (DRAIN_LOCK, 50))]
        assert taken == [Outboxed(3, first, ORG, "{}", now), Outboxed(7, second, ORG, "{}", now)]


class TestSources:
    async def test_a_source_has_a_lock_of_its_own(self) -> None:
        session = RecordingSession(True, True, True)
        assert await try_lock_source(session, SOURCE)  # type: ignore[arg-type]
        await try_lock_source(session, SOURCE)  # type: ignore[arg-type]
        await try_lock_source(session, "keycloak/other")  # type: ignore[arg-type]
        assert all("pg_try_advisory_xact_lock(" in sql for sql in session.statements)
        keys = [next(iter(params.values())) for params in session.params]
        assert keys[0] == keys[1] != keys[2]
        assert DRAIN_LOCK not in keys

    async def test_a_lock_held_elsewhere_is_no(self) -> None:
        assert not await try_lock_source(RecordingSession(False), SOURCE)  # type: ignore[arg-type]

    async def test_readable_realms_are_of_organizations_not_shredded(self) -> None:
        session = RecordingSession([("acme", ORG)])
        found = await readable_organizations(session, {"zeta", "acme"})  # type: ignore[arg-type]
        assert found == [("acme", ORG)]
        assert (
            "JOIN organizations ON organizations.id = organization_directory.organization_id" in session.sql
        )
        assert "organization_directory.slug IN" in session.sql
        assert "organizations.shredded_at IS NULL" in session.sql
        assert session.sql.endswith("ORDER BY organization_directory.slug")
        assert session.params[0]["slug_1"] == ["acme", "zeta"]

    async def test_the_cursor_is_the_organizations_for_the_source(self) -> None:
        session = RecordingSession(1234)
        assert await source_cursor(session, ORG, SOURCE) == 1234  # type: ignore[arg-type]
        assert "audit_sources.organization_id = %(organization_id_1)s" in session.sql
        assert "audit_sources.source = %(source_1)s" in session.sql
        assert session.params[0] == {"organization_id_1": ORG, "source_1": SOURCE}

    async def test_the_cursor_never_moves_back(self) -> None:
        session = RecordingSession()
        await advance_cursor(session, ORG, SOURCE, 99)  # type: ignore[arg-type]
        assert session.sql.startswith("INSERT INTO audit_sources (organization_id, source, cursor_ms)")
        assert "ON CONFLICT (organization_id, source) DO UPDATE" in session.sql
        assert "cursor_ms = greatest(audit_sources.cursor_ms, excluded.cursor_ms)" in session.sql
        assert session.params[0] == {"organization_id": ORG, "source": SOURCE, "cursor_ms": 99}


class TestMembers:
    async def test_users_of_the_organization_by_subject(self) -> None:
        user = uuid.uuid4()
        session = RecordingSession([("kc-1", user)])
        found = await members_by_subject(session, ORG, {"kc-1"})  # type: ignore[arg-type]
        assert found == {"kc-1": user}
        assert "users.organization_id = %(organization_id_1)s" in session.sql
        assert "users.subject IN" in session.sql
        assert session.params[0]["organization_id_1"] == ORG

    async def test_no_subject_asks_nothing(self) -> None:
        session = RecordingSession()
        assert await members_by_subject(session, ORG, set()) == {}  # type: ignore[arg-type]
        assert session.statements == []


class TestOffered:
    async def test_offered_in_one_statement_and_never_twice(self) -> None:
        events = [Offered(uuid.uuid4(), ORG, {"n": n}) for n in range(3)]
        session = RecordingSession(2)
        assert await offer_events(session, events) == 2  # type: ignore[arg-type]
        assert session.sql.startswith("INSERT INTO audit_outbox (event_id, organization_id, event) VALUES")
        assert session.sql.endswith("ON CONFLICT (event_id) DO NOTHING")
        params = session.params[0]
        assert [params[f"organization_id_m{n}"] for n in range(3)] == [ORG] * 3
        assert [params[f"event_id_m{n}"] for n in range(3)] == [e.event_id for e in events]

    async def test_nothing_offered_runs_nothing(self) -> None:
        session = RecordingSession()
        assert await offer_events(session, []) == 0  # type: ignore[arg-type]
        assert session.statements == []
