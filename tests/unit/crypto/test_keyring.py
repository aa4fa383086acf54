"""The keyring's choices, on in-memory stand-ins for the KMS and the data-key rows: which key seals new
content and when it is replaced, the one index key, which key opens a stored value, and what happens
when a rotation re-wraps a key under a process that remembered the old wrapping. The real KMS and
database are in tests/integration/crypto/."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from enclave.crypto import keyring as keyring_module
from enclave.crypto.keyring import CONTENT, INDEX, KeyRing
from enclave.crypto.kms import DataKey, KeyUnusable
from enclave.crypto.segmented import DecryptionFailed

ORG = uuid.UUID(int=1)


@dataclass
class Row:
    id: uuid.UUID
    purpose: str
    wrapped: str
    key_version: int
    created_at: dt.datetime
    retired: bool = False


@dataclass
class Kms:
    """Wraps by naming: ``wrapped-<n>`` opens to ``key-<n>`` unless retired by a rotation."""

    made: itertools.count[int] = field(default_factory=itertools.count)
    retired: set[str] = field(default_factory=set)
    unwraps: int = 0

    def new_data_key(self, organization_id: uuid.UUID) -> DataKey:
        n = next(self.made)
        return DataKey(plaintext=f"key-{n}".encode(), wrapped=f"wrapped-{n}", key_version=1)

    def unwrap(self, organization_id: uuid.UUID, wrapped: str) -> bytes:
        self.unwraps += 1
        if wrapped in self.retired:
            raise KeyUnusable("this wrapping's key version was retired")
        return b"key-" + wrapped.removeprefix("wrapped-").removesuffix("-rewrapped").encode()

    def cached(self, organization_id: uuid.UUID, wrapped: str) -> bytes | None:
        return None


class Rows:
    """The organization's ``data_keys`` rows, as the data-key repository reads and writes them."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.fail_next_index_insert = False

    def repository(self, session: Any, organization_id: uuid.UUID) -> Rows:
        return self

    async def lock(self, *, exclusive: bool) -> None:
        return None

    async def newest_active(self, purpose: str) -> Row | None:
        active = [r for r in self.rows if r.purpose == purpose and not r.retired]
        return max(active, key=lambda r: r.created_at, default=None)

    async def only(self, purpose: str) -> Row:
        return next(r for r in self.rows if r.purpose == purpose)

    async def wrapped(self, key_id: uuid.UUID) -> str | None:
        return next((r.wrapped for r in self.rows if r.id == key_id), None)

    async def create(self, purpose: str, wrapped: str, key_version: int) -> Row:
        if purpose == INDEX and self.fail_next_index_insert:
            self.fail_next_index_insert = False
            self.rows.append(Row(uuid.uuid4(), INDEX, "wrapped-other", 1, dt.datetime.now(dt.UTC)))
            raise IntegrityError("INSERT", {}, Exception("duplicate index key"))
        row = Row(uuid.uuid4(), purpose, wrapped, key_version, dt.datetime.now(dt.UTC))
        self.rows.append(row)
        return row


class Session:
    @asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        yield


@asynccontextmanager
async def sessions() -> AsyncIterator[Session]:
    yield Session()


async def no_binding(session: Any, organization_id: uuid.UUID, user_id: Any = None) -> None:
    return None


@pytest.fixture
def rows(monkeypatch: pytest.MonkeyPatch) -> Rows:
    stored = Rows()
    monkeypatch.setattr(keyring_module, "DataKeyRepository", stored.repository)
    monkeypatch.setattr(keyring_module, "bind_tenant", no_binding)
    return stored


def ring(kms: Kms, *, max_age_s: float = 3600) -> KeyRing:
    return KeyRing(kms, sessions, max_age_s=max_age_s)  # type: ignore[arg-type]


class TestSealing:
    async def test_the_first_seal_makes_and_records_a_content_key_then_reuses_it(self, rows: Rows) -> None:
        keys = ring(Kms())
        first = await keys.sealing_key(ORG)
        again = await keys.sealing_key(ORG)
        assert first.plaintext == again.plaintext == b"key-0"
        assert first.key_id == again.key_id == rows.rows[0].id.hex
        assert [r.purpose for r in rows.rows] == [CONTENT]

    async def test_a_content_key_past_its_age_is_replaced(self, rows: Rows) -> None:
        keys = ring(Kms(), max_age_s=0)
        first = await keys.sealing_key(ORG)
        second = await keys.sealing_key(ORG)
        assert first.key_id != second.key_id
        assert len(rows.rows) == 2

    async def test_a_key_another_replica_recorded_is_used(self, rows: Rows) -> None:
        rows.rows.append(Row(uuid.uuid4(), CONTENT, "wrapped-7", 1, dt.datetime.now(dt.UTC)))
        sealing = await ring(Kms()).sealing_key(ORG)
        assert (sealing.key_id, sealing.plaintext) == (rows.rows[0].id.hex, b"key-7")

    async def test_the_repr_never_shows_the_plaintext(self, rows: Rows) -> None:
        assert "key-0" not in repr(await ring(Kms()).sealing_key(ORG))


class TestIndexKey:
    async def test_one_index_key_for_ever(self, rows: Rows) -> None:
        keys = ring(Kms(), max_age_s=0)  # content keys age; the index key never does
        assert await keys.index_key(ORG) == await keys.index_key(ORG)
        assert [r.purpose for r in rows.rows] == [INDEX]

    async def test_a_concurrent_first_index_key_wins(self, rows: Rows) -> None:
        rows.fail_next_index_insert = True
        assert await ring(Kms()).index_key(ORG) == b"key-other"


class TestOpening:
    async def test_the_key_a_value_names_opens_it(self, rows: Rows) -> None:
        keys = ring(Kms())
        sealing = await keys.sealing_key(ORG)
        assert await keys.opening_key(None, ORG, sealing.key_id) == sealing.plaintext  # type: ignore[arg-type]

    @pytest.mark.parametrize("key_id", ["not-hex", uuid.uuid4().hex])
    async def test_a_malformed_or_unknown_key_id_does_not_open(self, rows: Rows, key_id: str) -> None:
        with pytest.raises(DecryptionFailed):
            await ring(Kms()).opening_key(None, ORG, key_id)  # type: ignore[arg-type]

    async def test_a_key_rewrapped_by_a_rotation_is_read_again(self, rows: Rows) -> None:
        kms = Kms()
        keys = ring(kms)
        sealing = await keys.sealing_key(ORG)
        # Another process rotates: the row is re-wrapped, and the old wrapping's version retired.
        kms.retired.add(rows.rows[0].wrapped)
        rows.rows[0].wrapped = "wrapped-0-rewrapped"
        assert await keys.opening_key(None, ORG, sealing.key_id) == sealing.plaintext  # type: ignore[arg-type]

    async def test_a_retired_wrapping_with_no_newer_one_stays_unusable(self, rows: Rows) -> None:
        kms = Kms()
        keys = ring(kms)
        sealing = await keys.sealing_key(ORG)
        kms.retired.add(rows.rows[0].wrapped)
        with pytest.raises(KeyUnusable):
            await keys.opening_key(None, ORG, sealing.key_id)  # type: ignore[arg-type]

    async def test_sealing_after_a_rewrap_reads_the_new_wrapping(self, rows: Rows) -> None:
        kms = Kms()
        keys = ring(kms)
        first = await keys.sealing_key(ORG)
        kms.retired.add(rows.rows[0].wrapped)
        rows.rows[0].wrapped = "wrapped-0-rewrapped"
        again = await keys.sealing_key(ORG)
        assert (again.key_id, again.plaintext) == (first.key_id, first.plaintext)
