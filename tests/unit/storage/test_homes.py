"""An organization's objects go to its home unless a dataset names a place of its own; a home the
installation cannot use is an outage, never a fallback to the managed bucket. In memory: the store
records where each call was sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

import pytest

from enclave.storage.homes import OrganizationObjects, credentials_name
from enclave.storage.locations import Location, LocationRefused
from enclave.storage.objects import ObjectStore, StorageUnavailable

ORG = uuid.UUID("00000000-0000-0000-0000-000000000001")
HOME = Location("https://s3.example", "theirs", "", "us-east-1", credentials_name(ORG))
DATASET = Location("https://s3.example", "scans", "p/", "us-east-1", "scans")


class Recorder:
    """Where each call would have stored, read or deleted (None: the managed bucket)."""

    def __init__(self, refuse: bool = False) -> None:
        self.calls: list[tuple[str, str, Location | None]] = []
        self.refuse = refuse

    def _record(self, op: str, key: str, location: Location | None) -> None:
        if self.refuse and location is not None:
            raise LocationRefused("No S3 credentials named 'x' are installed.")
        self.calls.append((op, key, location))

    def put(self, org: uuid.UUID, key: str, _: Iterable[bytes], __: int, at: Location | None) -> None:
        assert org == ORG
        self._record("put", key, at)

    def get(self, org: uuid.UUID, key: str, _: int, __: int | None, at: Location | None, **___: Any) -> Any:
        assert org == ORG
        self._record("get", key, at)
        return iter(())

    def delete(self, org: uuid.UUID, key: str, at: Location | None) -> None:
        assert org == ORG
        self._record("delete", key, at)


def objects(recorder: Recorder, home: Location | None) -> OrganizationObjects:
    return OrganizationObjects(cast(ObjectStore, recorder), ORG, home)


def test_every_call_goes_to_the_home() -> None:
    recorder = Recorder()
    handle = objects(recorder, HOME)
    handle.put("a", [b"x"])
    handle.get("a")
    handle.delete("a")
    assert recorder.calls == [("put", "a", HOME), ("get", "a", HOME), ("delete", "a", HOME)]


def test_a_dataset_place_wins_over_the_home() -> None:
    recorder = Recorder()
    objects(recorder, HOME).put("a", [b"x"], location=DATASET)
    assert recorder.calls == [("put", "a", DATASET)]


def test_no_home_is_the_managed_bucket() -> None:
    recorder = Recorder()
    objects(recorder, None).get("a")
    assert recorder.calls == [("get", "a", None)]


@pytest.mark.parametrize("op", ["put", "get", "delete"])
def test_a_home_that_cannot_be_used_is_an_outage(op: str) -> None:
    recorder = Recorder(refuse=True)
    handle = objects(recorder, HOME)
    calls = {
        "put": lambda: handle.put("a", [b"x"]),
        "get": lambda: handle.get("a"),
        "delete": lambda: handle.delete("a"),
    }
    with pytest.raises(StorageUnavailable, match="own bucket cannot be used: No S3 credentials"):
        calls[op]()
    assert recorder.calls == []  # nothing went anywhere else


def test_a_dataset_place_refused_stays_the_callers_mistake() -> None:
    with pytest.raises(LocationRefused):
        objects(Recorder(refuse=True), HOME).put("a", [b"x"], location=DATASET)


def test_credentials_are_named_by_the_organization_id() -> None:
    assert credentials_name(ORG) == f"org-{ORG.hex}"
    assert len(credentials_name(ORG)) <= 63
