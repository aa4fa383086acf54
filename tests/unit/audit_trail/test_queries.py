"""Reading the trail for Admins, over a stand-in log repository: a page is the records the
repository found, its cursor the last one shown only when there are more; a cursor the api did not
give out is the client's error; an export runs on to the next signed checkpoint; and the records of
an export come in batches until its last."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from enclave.audit.actions import AuditAction
from enclave.audit.events import GENESIS, AuditEvent, AuditRecord, canonical
from enclave.audit_trail import queries
from enclave.audit_trail.queries import TrailQueries
from enclave.db.repositories.audit_log import TrailFilter
from enclave.domain.errors import InvalidInput

ORG = uuid.UUID(int=1)


def content(seq: int) -> bytes:
    event = AuditEvent(
        event_id=uuid.uuid4(),
        organization_id=ORG,
        occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        actor="user:x",
        action=AuditAction.DATA_DATASET_CREATE,
        target=f"dataset:{seq}",
    )
    return canonical(AuditRecord(format=1, seq=seq, event=event))


class FakeLog:
    """The log repository's reads, answered from a list of sequence numbers."""

    def __init__(self, seqs: list[int], checkpoints: list[int] | None = None) -> None:
        self.seqs = seqs
        self.checkpoint_seqs = checkpoints or []
        self.calls: list[tuple[str, Any]] = []

    async def search(self, found: TrailFilter, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        self.calls.append(("search", {"found": found, "after": after, "limit": limit}))
        return [(seq, content(seq)) for seq in self.seqs if seq > (after or 0)][:limit]

    async def bounds(self, since: Any, until: Any) -> tuple[int, int] | None:
        return (self.seqs[0], self.seqs[-1]) if self.seqs else None

    async def first_checkpoint_from(self, seq: int) -> int | None:
        return next((c for c in self.checkpoint_seqs if c >= seq), None)

    async def records(self, first: int, last: int, *, limit: int) -> list[tuple[Any, ...]]:
        self.calls.append(("records", (first, last, limit)))
        chosen = [seq for seq in self.seqs if first <= seq <= last][:limit]
        return [(s, uuid.uuid4(), "a", "x", "t", "success", content(s), GENESIS, GENESIS) for s in chosen]


def trail(log: FakeLog) -> TrailQueries:
    reads = TrailQueries(None, ORG)  # type: ignore[arg-type]
    reads._log = log  # type: ignore[assignment]
    return reads


def search(reads: TrailQueries, cursor: str | None, limit: int) -> Any:
    return reads.search(TrailFilter(), cursor, limit)


class TestSearch:
    async def test_a_full_page_has_a_cursor_to_the_next(self) -> None:
        log = FakeLog([1, 2, 3, 4, 5])
        items, cursor = await search(trail(log), None, 2)
        assert [item.seq for item in items] == [1, 2]
        assert items[0].target == "dataset:1"
        assert cursor == "2"
        assert log.calls[0][1]["limit"] == 3  # one more than shown: is there a next page?

    async def test_the_last_page_has_none(self) -> None:
        items, cursor = await search(trail(FakeLog([1, 2, 3, 4, 5])), "3", 2)
        assert [item.seq for item in items] == [4, 5]
        assert cursor is None

    async def test_the_cursor_is_where_the_last_page_ended(self) -> None:
        log = FakeLog([1, 2, 3])
        await search(trail(log), "2", 10)
        assert log.calls[0][1]["after"] == 2

    @pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", ""])
    async def test_a_cursor_the_api_did_not_give_out_is_invalid_input(self, cursor: str) -> None:
        with pytest.raises(InvalidInput):
            await search(trail(FakeLog([1])), cursor, 10)


class TestExportRange:
    async def test_runs_on_to_the_next_checkpoint(self) -> None:
        assert await trail(FakeLog([3, 4, 5], checkpoints=[2, 8, 10])).export_range(None, None) == (3, 8)

    async def test_ends_at_the_last_record_without_a_later_checkpoint(self) -> None:
        assert await trail(FakeLog([3, 4, 5], checkpoints=[2])).export_range(None, None) == (3, 5)

    async def test_an_empty_range_exports_nothing(self) -> None:
        assert await trail(FakeLog([])).export_range(None, None) is None


class TestRecords:
    async def test_in_batches_until_the_last(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(queries, "_EXPORT_BATCH", 2)
        log = FakeLog(list(range(1, 8)))
        seqs = [record.seq async for record in trail(log).records(2, 6)]
        assert seqs == [2, 3, 4, 5, 6]
        assert [args for name, args in log.calls if name == "records"] == [(2, 6, 2), (4, 6, 2), (6, 6, 2)]

    async def test_a_gap_ends_the_export(self) -> None:
        seqs = [record.seq async for record in trail(FakeLog([1, 2])).records(1, 5)]
        assert seqs == [1, 2]
