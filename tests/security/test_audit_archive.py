"""The audit trail's locked copy (S3 Object Lock, compliance mode, in the real MinIO): nobody can
delete or replace it, not even with MinIO's root credentials, and ``enclave-audit verify`` compares
the database with it — so history that a database superuser removes *consistently* (a whole trail,
or its tail with the checkpoints over it), which the chain alone cannot notice, is still named.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import S3Error
from minio.retention import Retention

from enclave.audit_trail.archive import segment_name
from enclave.settings import AuditSettings
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.security.conftest import RECORDS, Superuser, verify, wait_for_checkpoint

BUCKET = AuditSettings.model_fields["archive_bucket"].default


def _versions(store: Minio, tenant: Tenant) -> list[tuple[str, str]]:
    listing = store.list_objects(BUCKET, prefix=f"{tenant.org_id}/", recursive=True, include_version=True)
    return [(o.object_name, o.version_id) for o in listing if not o.is_delete_marker]


def test_every_checkpoint_has_a_locked_copy(chained: Tenant, raw_store: Minio) -> None:
    name = segment_name(chained.org_id, RECORDS)
    assert [n for n, _ in _versions(raw_store, chained)] == [name]
    retention = raw_store.get_object_retention(BUCKET, name)
    assert retention is not None
    assert retention.mode == COMPLIANCE
    assert retention.retain_until_date > dt.datetime.now(dt.UTC)
    body = raw_store.get_object(BUCKET, name).read()
    assert body.count(b'"type":"record"') == RECORDS
    assert body.count(b'"type":"checkpoint"') == 1


def test_the_api_reports_the_comparison(chained: Tenant) -> None:
    verdict = chained.ok("GET", "/audit/verification")
    assert verdict["ok"] is True, verdict
    assert verdict["records"] == RECORDS
    assert verdict["locked_segments"] == 1


def test_root_cannot_delete_or_shorten_the_locked_copy(
    chained: Tenant, raw_store: Minio, stack: Stack
) -> None:
    ((name, version),) = _versions(raw_store, chained)
    with pytest.raises(S3Error):
        raw_store.remove_object(BUCKET, name, version_id=version)
    with pytest.raises(S3Error):
        raw_store.set_object_retention(
            BUCKET, name, Retention(GOVERNANCE, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)), version
        )
    with pytest.raises(S3Error):
        raw_store.remove_bucket(BUCKET)
    # A plain DELETE only adds a delete marker: the locked version is still there, and still read.
    raw_store.remove_object(BUCKET, name)
    assert _versions(raw_store, chained) == [(name, version)]
    done = verify(stack, chained)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 locked segments agree" in done.stdout


def test_a_replaced_copy_is_named(chained: Tenant, raw_store: Minio, stack: Stack) -> None:
    """Writing over the segment adds a version beside the locked one; the forged version does not
    verify with the checkpoint key, and verify says so."""
    name = segment_name(chained.org_id, RECORDS)
    body = raw_store.get_object(BUCKET, name).read().replace(b'"success"', b'"denied"')
    raw_store.put_object(BUCKET, name, io.BytesIO(body), len(body))
    assert len(_versions(raw_store, chained)) == 2
    done = verify(stack, chained)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{chained.org_id}: FAILED" in done.stdout
    assert f"the locked segment {name}" in done.stdout


def test_a_whole_trail_deleted_from_the_database_is_named(
    chained: Tenant, stack: Stack, superuser: Superuser
) -> None:
    superuser.execute("DELETE FROM audit_checkpoints WHERE organization_id = $1", chained.org_id)
    superuser.execute("DELETE FROM audit_log WHERE organization_id = $1", chained.org_id)
    done = verify(stack, chained)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{chained.org_id}: FAILED at record 1: record 1 is in the locked copy" in done.stdout
    # Verifying every organization finds this one through its locked copy alone.
    everyone = verify(stack)
    assert f"{chained.org_id}: FAILED at record 1:" in everyone.stdout


def test_a_tail_cut_with_its_checkpoint_is_named(chained: Tenant, stack: Stack, superuser: Superuser) -> None:
    for n in range(3):
        chained.ok("POST", "/datasets", json={"name": f"later{n}", "kind": "image"})
    wait_for_checkpoint(chained, RECORDS + 3)
    superuser.execute(
        "DELETE FROM audit_checkpoints WHERE organization_id = $1 AND seq > $2", chained.org_id, RECORDS
    )
    superuser.execute(
        "DELETE FROM audit_log WHERE organization_id = $1 AND seq > $2", chained.org_id, RECORDS
    )
    done = verify(stack, chained)
    assert done.returncode == 1, done.stdout + done.stderr
    first_cut = RECORDS + 1
    assert f"FAILED at record {first_cut}: record {first_cut} is in the locked copy" in done.stdout


def test_a_checkpoint_without_a_locked_copy_is_named(
    chained: Tenant, stack: Stack, superuser: Superuser
) -> None:
    """Without its checkpoints the database chain is merely unsigned, which the chain check allows
    (the newest records always are); the locked copy still holds the signed checkpoint."""
    superuser.execute("DELETE FROM audit_checkpoints WHERE organization_id = $1", chained.org_id)
    done = verify(stack, chained)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"FAILED at record {RECORDS}: the checkpoint at record {RECORDS} is in the locked copy" in done.stdout
    )
