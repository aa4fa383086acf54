"""Unwrapped data keys stay in memory bounded in count and time; wrapped forms are recognised."""

from __future__ import annotations

import uuid

import pytest

from enclave.crypto import kms
from enclave.crypto.kms import KeyUnusable, UnwrappedKeyCache, key_name, wrapped_version

ORG, OTHER = uuid.uuid4(), uuid.uuid4()


class TestUnwrappedKeyCache:
    def test_bounded_in_count_least_recently_used_out(self) -> None:
        cache = UnwrappedKeyCache(size=2, ttl_s=60)
        cache.put(ORG, "a", b"1")
        cache.put(ORG, "b", b"2")
        assert cache.get(ORG, "a") == b"1"  # "a" is now the most recently used
        cache.put(ORG, "c", b"3")
        assert (cache.get(ORG, "a"), cache.get(ORG, "b"), cache.get(ORG, "c")) == (b"1", None, b"3")
        assert len(cache) == 2

    def test_bounded_in_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        now = [1000.0]
        monkeypatch.setattr(kms.time, "monotonic", lambda: now[0])
        cache = UnwrappedKeyCache(size=10, ttl_s=5)
        cache.put(ORG, "a", b"1")
        now[0] += 4.9
        assert cache.get(ORG, "a") == b"1"
        now[0] += 0.2
        assert cache.get(ORG, "a") is None
        assert len(cache) == 0

    def test_keys_are_per_organization_and_forgotten_per_organization(self) -> None:
        cache = UnwrappedKeyCache(size=10, ttl_s=60)
        cache.put(ORG, "a", b"1")
        cache.put(OTHER, "a", b"2")
        assert (cache.get(ORG, "a"), cache.get(OTHER, "a")) == (b"1", b"2")
        cache.forget(ORG)
        assert (cache.get(ORG, "a"), cache.get(OTHER, "a")) == (None, b"2")


class TestWrappedVersion:
    @pytest.mark.parametrize(("wrapped", "version"), [("vault:v1:abc", 1), ("vault:v12:x==", 12)])
    def test_versions(self, wrapped: str, version: int) -> None:
        assert wrapped_version(wrapped) == version

    @pytest.mark.parametrize(
        "wrapped", ["", "vault", "vault:", "vault:v1:", "vault:x1:abc", "vault:v:abc", "aws:v1:abc"]
    )
    def test_not_wrapped_keys(self, wrapped: str) -> None:
        with pytest.raises(KeyUnusable):
            wrapped_version(wrapped)


def test_key_names_are_per_organization_and_inside_the_policy() -> None:
    assert key_name(ORG) == f"enclave-{ORG.hex}"
    assert key_name(ORG) != key_name(OTHER)
