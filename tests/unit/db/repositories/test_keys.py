"""The data keys' statements: each names the organization; the key that seals is the newest
unretired one of its purpose; a rotation retires only unretired content keys and re-wraps only keys
under older versions; and the data-key lock is the organization's own, shared or exclusive."""

from __future__ import annotations

import datetime as dt
import uuid

from enclave.db.models import DataKeyRow
from enclave.db.repositories.keys import DataKeyRepository
from tests.unit.db.repositories.statements import RecordingSession

ORG = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)
TENANT = "data_keys.organization_id = %(organization_id_1)s::UUID"


def keys(session: RecordingSession, organization_id: uuid.UUID = ORG) -> DataKeyRepository:
    return DataKeyRepository(session, organization_id)  # type: ignore[arg-type]


class TestLock:
    async def test_shared_to_make_a_key_exclusive_to_rotate(self) -> None:
        session = RecordingSession()
        await keys(session).lock(exclusive=False)
        await keys(session).lock(exclusive=True)
        shared, exclusive = session.statements
        assert shared.startswith("SELECT pg_advisory_xact_lock_shared(")
        assert exclusive.startswith("SELECT pg_advisory_xact_lock(")
        assert list(session.params[0].values()) == list(session.params[1].values())

    async def test_each_organization_has_its_own(self) -> None:
        session = RecordingSession()
        await keys(session, ORG).lock(exclusive=True)
        await keys(session, OTHER).lock(exclusive=True)
        assert list(session.params[0].values()) != list(session.params[1].values())


class TestReads:
    async def test_the_sealing_key_is_the_newest_unretired_of_its_purpose(self) -> None:
        session = RecordingSession()
        assert await keys(session).newest_active("content") is None
        assert TENANT in session.sql
        assert "data_keys.purpose = %(purpose_1)s" in session.sql
        assert "data_keys.retired_at IS NULL" in session.sql
        assert session.sql.endswith("ORDER BY data_keys.created_at DESC LIMIT %(param_1)s::INTEGER")
        assert session.params[0]["purpose_1"] == "content"

    async def test_the_one_index_key(self) -> None:
        session = RecordingSession("row")
        assert await keys(session).only("index") == "row"
        assert TENANT in session.sql
        assert session.params[0]["purpose_1"] == "index"

    async def test_a_named_key_is_found_in_the_organization_only(self) -> None:
        key_id = uuid.uuid4()
        session = RecordingSession("vault:v1:abc")
        assert await keys(session).wrapped(key_id) == "vault:v1:abc"
        assert session.sql.startswith("SELECT data_keys.wrapped FROM data_keys")
        assert TENANT in session.sql
        assert session.params[0] == {"organization_id_1": ORG, "id_1": key_id}

    async def test_counts_by_key_version(self) -> None:
        session = RecordingSession([(1, 3), (2, 5)])
        assert await keys(session).count_by_version() == {1: 3, 2: 5}
        assert TENANT in session.sql
        assert session.sql.endswith("GROUP BY data_keys.key_version")


class TestRotation:
    async def test_retires_only_the_unretired_keys_of_the_purpose(self) -> None:
        now = dt.datetime.now(dt.UTC)
        session = RecordingSession()
        await keys(session).retire_active("content", now)
        assert session.sql.startswith("UPDATE data_keys SET retired_at=")
        assert TENANT in session.sql
        assert "data_keys.purpose = %(purpose_1)s" in session.sql
        assert "data_keys.retired_at IS NULL" in session.sql
        assert session.params[0]["retired_at"] == now

    async def test_re_wraps_only_keys_under_older_versions(self) -> None:
        session = RecordingSession([])
        assert list(await keys(session).wrapped_before(4)) == []
        assert TENANT in session.sql
        assert "data_keys.key_version < %(key_version_1)s" in session.sql
        assert session.params[0]["key_version_1"] == 4


class TestCreate:
    async def test_a_new_key_is_the_organizations_and_flushed_before_use(self) -> None:
        session = RecordingSession()
        row = await keys(session).create("content", "vault:v3:xyz", 3)
        assert isinstance(row, DataKeyRow)
        assert session.added == [row]
        assert (row.organization_id, row.purpose, row.wrapped, row.key_version) == (
            ORG,
            "content",
            "vault:v3:xyz",
            3,
        )
        assert session.flushed == 1
        assert session.refreshed == [row]
