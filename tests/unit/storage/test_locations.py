"""Named S3 credentials are read from one folder as a mounted Secret lays them out
(``<name>.access_key``, ``<name>.secret_key``); a missing one is refused by name, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from enclave.settings import S3Settings
from enclave.storage.locations import Location, LocationRefused, check


def settings(folder: Path | None) -> S3Settings:
    key = folder or Path(__file__)
    return S3Settings.model_construct(
        endpoint="https://minio.internal",
        access_key_file=key,
        secret_key_file=key,
        region="us-east-1",
        external_endpoints=["https://s3.example"],
        external_secrets_dir=folder,
    )


def where(credentials: str = "acme") -> Location:
    return Location("https://s3.example", "bucket", "p/", "us-east-1", credentials)


def test_reads_the_pair_a_secret_mount_holds(tmp_path: Path) -> None:
    (tmp_path / "acme.access_key").write_text("AKIDEXAMPLE\n")
    (tmp_path / "acme.secret_key").write_text("not-a-real-secret\n")
    found = check(where(), settings(tmp_path))
    assert (found.access_key, found.secret_key) == ("AKIDEXAMPLE", "not-a-real-secret")
    assert "not-a-real-secret" not in repr(found)


def test_a_missing_name_is_refused_without_its_contents(tmp_path: Path) -> None:
    (tmp_path / "other.access_key").write_text("AK")
    (tmp_path / "other.secret_key").write_text("SK")
    with pytest.raises(LocationRefused, match="No S3 credentials named 'acme'"):
        check(where(), settings(tmp_path))


def test_half_a_pair_is_refused(tmp_path: Path) -> None:
    (tmp_path / "acme.access_key").write_text("AK")
    with pytest.raises(LocationRefused, match="named 'acme'"):
        check(where(), settings(tmp_path))


def test_no_folder_means_no_customer_buckets() -> None:
    with pytest.raises(LocationRefused, match="no S3 credentials for customer buckets"):
        check(where(), settings(None))


def test_a_name_cannot_climb_out_of_the_folder(tmp_path: Path) -> None:
    with pytest.raises(LocationRefused, match="lowercase name"):
        check(where("../acme"), settings(tmp_path))
