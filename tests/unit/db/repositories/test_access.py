"""The statements authorization reads its facts with: each names the caller's organization, and a
request that changes something reads them locked (the row acted on for update, the facts the decision
rests on for share), so no change can commit between the decision and the write."""

from __future__ import annotations

import uuid

import pytest

from enclave.db.repositories import access
from enclave.db.repositories.access import AccessRepository, Lock
from tests.unit.db.repositories.recording import RecordingSession

ORG = uuid.UUID(int=1)
USER = uuid.UUID(int=2)
PROJECT = uuid.UUID(int=3)


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


@pytest.mark.parametrize(
    "name", ["_CALLER", "_CALLER_LOCKED", "_PROJECT_ACCESS", "_PROJECT_ACCESS_LOCKED", "_TASK_FACTS",
             "_TASK_FACTS_LOCKED", "_ITEM_FACTS"],
)  # fmt: skip
def test_every_statement_names_the_organization(name: str) -> None:
    assert "organization_id = $" in getattr(access, name)


class TestLockedForms:
    def test_the_caller_holds_membership_account_and_organization(self) -> None:
        assert _one_line(access._CALLER_LOCKED).endswith("FOR SHARE OF m, u, o")
        assert "FOR " not in access._CALLER

    def test_a_task_is_locked_for_update_and_the_callers_project_role_for_share(self) -> None:
        locked = _one_line(access._TASK_FACTS_LOCKED)
        assert locked.endswith("FOR UPDATE OF t")
        assert "FOR SHARE)" in locked  # the sub-select of the caller's project membership
        assert "FOR " not in access._TASK_FACTS

    def test_a_projects_access_locks_the_callers_project_role_only(self) -> None:
        locked = _one_line(access._PROJECT_ACCESS_LOCKED)
        assert "FOR SHARE)" in locked
        assert not locked.endswith("FOR SHARE OF p")  # every take from the queue would wait on it
        assert "FOR " not in access._PROJECT_ACCESS


class TestLockModes:
    async def _member_role(self, lock: Lock) -> str:
        recorded = RecordingSession()
        await AccessRepository(recorded.session, ORG).member_role(USER, lock=lock)
        return recorded.last

    async def _project_role(self, lock: Lock) -> str:
        recorded = RecordingSession()
        await AccessRepository(recorded.session, ORG).project_role(PROJECT, USER, lock=lock)
        return recorded.last

    async def test_reads_lock_nothing(self) -> None:
        assert "FOR " not in await self._member_role(Lock.NONE)
        assert "FOR " not in await self._project_role(Lock.NONE)

    async def test_a_fact_is_held_for_share(self) -> None:
        assert "FOR SHARE OF org_memberships, users" in await self._member_role(Lock.SHARE)
        assert (await self._project_role(Lock.SHARE)).endswith("FOR SHARE")

    async def test_the_row_acted_on_is_held_for_update(self) -> None:
        assert "FOR UPDATE OF org_memberships, users" in await self._member_role(Lock.UPDATE)
        assert (await self._project_role(Lock.UPDATE)).endswith("FOR UPDATE")

    async def test_both_are_scoped_to_the_organization(self) -> None:
        assert "org_memberships.organization_id = " in await self._member_role(Lock.NONE)
        assert "project_members.organization_id = " in await self._project_role(Lock.NONE)

    def test_a_locking_repository_locks_the_row_it_acts_on_for_update(self) -> None:
        assert AccessRepository(RecordingSession().session, ORG, locking=True).target_lock is Lock.UPDATE
        assert AccessRepository(RecordingSession().session, ORG).target_lock is Lock.NONE
