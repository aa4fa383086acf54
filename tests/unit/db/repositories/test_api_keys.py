"""The API keys statements (``enclave.db.repositories.api_keys``): the key verification's raw lookup
names the organization (locked for share when the request changes something), the refresh of
``last_used_at`` never waits for a row another request holds, and the list shows the keys its
visibility says."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from enclave.authz.policy import Visibility
from enclave.db.repositories import api_keys
from enclave.db.repositories.api_keys import ApiKeyRepository
from tests.unit.db.repositories.recording import RecordingSession, sql

ORG = uuid.UUID(int=1)
USER = uuid.UUID(int=2)
KEY = uuid.UUID(int=3)
PROJECT = uuid.UUID(int=4)
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
TENANT = f"api_keys.organization_id = '{ORG}'"


@pytest.fixture
def db() -> RecordingSession:
    return RecordingSession()


def _one_line(text: str) -> str:
    return " ".join(text.split())


class TestByPrefix:
    @pytest.mark.parametrize("name", ["_BY_PREFIX", "_BY_PREFIX_LOCKED"])
    def test_the_statement_names_the_organization_for_the_key_and_its_owner(self, name: str) -> None:
        statement = _one_line(getattr(api_keys, name))
        assert "WHERE k.prefix = $1 AND k.organization_id = $2" in statement
        assert "JOIN users u ON u.id = k.user_id AND u.organization_id = k.organization_id" in statement

    def test_it_reads_the_owners_keycloak_identity(self) -> None:
        assert "k.last_used_at, u.issuer, u.subject, " in _one_line(api_keys._BY_PREFIX)

    def test_it_reads_the_owner_as_the_guard_reads_a_caller(self) -> None:
        statement = _one_line(api_keys._BY_PREFIX)
        membership = (
            "JOIN org_memberships m ON m.user_id = k.user_id AND m.organization_id = k.organization_id"
        )
        assert membership in statement
        assert "JOIN organizations o ON o.id = k.organization_id" in statement
        assert "m.role, (o.settings ->> 'mfa_required')::boolean, o.terminated_at IS NOT NULL, " in statement
        assert "o.shredded_at IS NOT NULL, u.disabled FROM" in statement

    def test_only_the_locked_form_locks_the_key_and_what_the_caller_rests_on(self) -> None:
        assert "FOR " not in api_keys._BY_PREFIX
        locked = _one_line(api_keys._BY_PREFIX_LOCKED)
        assert locked == _one_line(api_keys._BY_PREFIX) + " FOR SHARE OF k, m, u, o"

    @pytest.mark.parametrize(("lock", "name"), [(False, "_BY_PREFIX"), (True, "_BY_PREFIX_LOCKED")])
    async def test_it_sends_the_prefix_and_the_organization(
        self, db: RecordingSession, lock: bool, name: str
    ) -> None:
        assert await ApiKeyRepository(db.session, ORG).by_prefix("abcd1234", lock=lock) is None
        assert db.raw == [(getattr(api_keys, name), ("abcd1234", ORG))]


class TestTouch:
    async def test_it_refreshes_only_when_due_and_never_waits(self, db: RecordingSession) -> None:
        await ApiKeyRepository(db.session, ORG).touch(KEY, NOW, dt.timedelta(minutes=1))
        shape = re.fullmatch(
            r"UPDATE api_keys SET last_used_at='(?P<now>[^']+)' WHERE api_keys\.id IN "
            r"\(SELECT api_keys\.id FROM api_keys WHERE (?P<due>.+) FOR NO KEY UPDATE SKIP LOCKED\) "
            r"AND (?P<outer>.+)",
            db.last,
        )
        assert shape is not None, db.last
        assert shape["now"] == "2026-01-02 03:04:05+00:00"
        assert f"api_keys.id = '{KEY}'" in shape["due"]
        assert TENANT in shape["due"]
        assert (
            "(api_keys.last_used_at IS NULL OR api_keys.last_used_at < '2026-01-02 03:03:05+00:00')"
            in shape["due"]
        )
        assert shape["outer"] == TENANT


class TestVisibleTo:
    def visible(self, db: RecordingSession, visibility: Visibility) -> str:
        return sql(ApiKeyRepository(db.session, ORG).visible_to(visibility, USER))

    def test_everything_is_every_key_of_the_tenant(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(everything=True))
        assert shown.endswith(f"FROM api_keys WHERE {TENANT}")  # no filter of whose

    def test_own_is_the_callers_keys(self, db: RecordingSession) -> None:
        shown = self.visible(db, Visibility(own=True))
        assert TENANT in shown
        assert f"api_keys.user_id = '{USER}'" in shown

    def test_a_key_restricted_to_a_project_sees_none(self, db: RecordingSession) -> None:
        assert "false" in self.visible(db, Visibility(everything=True, project_id=PROJECT)).lower()

    def test_no_ground_shows_nothing(self, db: RecordingSession) -> None:
        assert "false" in self.visible(db, Visibility()).lower()

    async def test_a_page_is_in_creation_order(self, db: RecordingSession) -> None:
        page = await ApiKeyRepository(db.session, ORG).page_visible(Visibility(own=True), USER, None, 50)
        assert page.items == []
        assert page.next_cursor is None
        assert TENANT in db.last
        assert f"api_keys.user_id = '{USER}'" in db.last
        assert db.last.endswith("ORDER BY api_keys.created_at, api_keys.id LIMIT 51")


class TestOwnerOf:
    async def test_a_read_locks_nothing(self, db: RecordingSession) -> None:
        assert await ApiKeyRepository(db.session, ORG).owner_of(KEY) is None
        assert TENANT in db.last
        assert f"api_keys.id = '{KEY}'" in db.last
        assert "FOR " not in db.last

    async def test_a_revocation_locks_the_key_for_update(self, db: RecordingSession) -> None:
        await ApiKeyRepository(db.session, ORG).owner_of(KEY, for_update=True)
        assert TENANT in db.last
        assert db.last.endswith("FOR UPDATE")
