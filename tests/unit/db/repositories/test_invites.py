"""The invitations statements (``enclave.db.repositories.invites``): the lookup by the token's hash
names the organization, and an acceptance locks the invitation so it is used once."""

from __future__ import annotations

import uuid

import pytest

from enclave.db.repositories.invites import InviteRepository
from tests.unit.db.repositories.recording import RecordingSession

ORG = uuid.UUID(int=1)
TOKEN_HASH = b"h" * 32


@pytest.fixture
def db() -> RecordingSession:
    return RecordingSession()


class TestByTokenHash:
    async def test_it_is_the_tenants_invitation_with_that_hash(self, db: RecordingSession) -> None:
        assert await InviteRepository(db.session, ORG).by_token_hash(TOKEN_HASH) is None
        assert db.last.startswith("SELECT invites.")
        assert f"invites.organization_id = '{ORG}'" in db.last
        assert f"invites.token_hash = '{'h' * 32}'" in db.last
        assert "FOR " not in db.last

    async def test_accepting_locks_it(self, db: RecordingSession) -> None:
        await InviteRepository(db.session, ORG).by_token_hash(TOKEN_HASH, for_update=True)
        assert f"invites.organization_id = '{ORG}'" in db.last
        assert db.last.endswith("FOR UPDATE")
