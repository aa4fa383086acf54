"""A customer's S3 credentials rotated under a running process (the kubelet rewrites a mounted
Secret's files) are used from the next call: the client is chosen by the credentials read now, not by
the location alone. In memory: building a client connects to nothing."""

from __future__ import annotations

from pathlib import Path

from enclave.settings import S3Settings, TLSSettings
from enclave.storage.locations import Location
from enclave.storage.objects import ObjectStore

WHERE = Location("https://s3.customer.example", "theirs", "", "us-east-1", "theirs")


def store(folder: Path) -> ObjectStore:
    (folder / "root").write_text("root")
    settings = S3Settings.model_construct(
        endpoint="https://minio.internal:9000",
        access_key_file=folder / "root",
        secret_key_file=folder / "root",
        region="us-east-1",
        external_endpoints=["https://s3.customer.example"],
        external_secrets_dir=folder,
    )
    return ObjectStore(settings, TLSSettings.model_construct(ca_file=Path(__file__)))


def install(folder: Path, access_key: str) -> None:
    (folder / "theirs.access_key").write_text(access_key)
    (folder / "theirs.secret_key").write_text(f"secret-of-{access_key}")


def test_a_rotated_key_is_used_from_the_next_call(tmp_path: Path) -> None:
    objects = store(tmp_path)
    install(tmp_path, "FIRSTKEY")
    first = objects._client_for(WHERE)
    assert objects._client_for(WHERE) is first  # the same credentials: the same client
    install(tmp_path, "SECONDKEY")
    second = objects._client_for(WHERE)
    assert second is not first
    assert second._provider.retrieve().access_key == "SECONDKEY"  # type: ignore[union-attr]
