"""The trail's locked copy: every signed checkpoint, with the records it seals, written once to a
bucket with S3 Object Lock in compliance mode, where nobody (MinIO's root and the database's
superuser included) can change or delete it before its retention ends.

One object per checkpoint, ``<organization>/<checkpoint seq, 20 digits>.jsonl``, in the export's
format (``audit.export``): a trail header, the records since the previous checkpoint, then the
checkpoint. Each segment therefore verifies on its own with the public key, and the verifier compares
the database's chain with the union of the segments (``audit.verify.compare_with_archive``).

The bucket is versioned (Object Lock requires it): a PUT over a locked object adds a version, and a
DELETE adds a delete marker; neither removes the locked version, and the reader reads every version,
so neither can hide or replace history. Audit records hold identifiers, never customer content, so
segments are stored signed rather than encrypted: an auditor reads them with the public key alone.
Methods block (the minio client is synchronous): call them from a worker thread.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import urllib3
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.objectlockconfig import DAYS, YEARS, ObjectLockConfig
from minio.retention import Retention

from enclave.audit_trail.export import MalformedTrail, checkpoint_line, header_line, read_trail, record_line
from enclave.audit_trail.verify import StoredCheckpoint, StoredRecord
from enclave.settings import AuditSettings, S3Settings, TLSSettings, read_secret
from enclave.storage.connection import https_pool, s3_client
from enclave.storage.objects import StorageUnavailable

_T = TypeVar("_T")


class ArchiveUnavailable(StorageUnavailable):
    """The locked copy cannot be written or read (MinIO down, refused, or a bucket without a lock).
    A storage fault: the api answers 503."""


def segment_name(organization_id: uuid.UUID, checkpoint_seq: int) -> str:
    return f"{organization_id}/{checkpoint_seq:020d}.jsonl"


def encode_segment(
    organization_id: uuid.UUID, records: list[StoredRecord], checkpoint: StoredCheckpoint
) -> bytes:
    lines = [header_line(organization_id, None, None)]
    lines.extend(record_line(record) for record in records)
    lines.append(checkpoint_line(checkpoint))
    return b"".join(lines)


@dataclass(frozen=True)
class Segment:
    """One segment as read back: its object name and version, and what it holds."""

    name: str
    version_id: str | None
    records: list[StoredRecord]
    checkpoints: list[StoredCheckpoint]


@dataclass
class ArchivedTrail:
    """An organization's locked copy. ``problems`` names objects that are not segments of this trail
    (unreadable, another organization's, or versions of one segment that differ)."""

    organization_id: uuid.UUID
    segments: list[Segment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class LockedArchive:
    def __init__(self, s3: S3Settings, tls: TLSSettings, audit: AuditSettings) -> None:
        self._client = s3_client(
            https_pool(tls, connections=4),
            s3.endpoint,
            s3.region,
            read_secret(s3.access_key_file),
            read_secret(s3.secret_key_file),
        )
        self._bucket = audit.archive_bucket
        self._days = audit.archive_retention_days

    def ensure(self) -> None:
        """Makes the bucket with Object Lock on (only possible at creation) and a compliance-mode
        default retention. Refuses a bucket that exists without a compliance lock: writing the copy
        where it could be erased would only pretend."""
        try:
            if not self._client.bucket_exists(self._bucket):
                self._client.make_bucket(self._bucket, object_lock=True)
            try:
                config = self._client.get_object_lock_config(self._bucket)
            except S3Error as error:
                raise ArchiveUnavailable(
                    f"The bucket {self._bucket!r} has no Object Lock: it cannot hold the locked copy."
                ) from error
            days = (config.duration or 0) * (365 if config.duration_unit == YEARS else 1)
            if config.mode != COMPLIANCE or days < self._days:
                self._client.set_object_lock_config(
                    self._bucket, ObjectLockConfig(COMPLIANCE, self._days, DAYS)
                )
        except S3Error as error:
            raise ArchiveUnavailable(f"Object storage refused the archive bucket ({error.code}).") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ArchiveUnavailable("Object storage is unreachable.") from error

    def put(
        self, organization_id: uuid.UUID, records: list[StoredRecord], checkpoint: StoredCheckpoint
    ) -> None:
        """Writes one segment, locked in compliance mode until its retention ends."""
        body = encode_segment(organization_id, records, checkpoint)
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self._days)
        try:
            self._client.put_object(
                self._bucket,
                segment_name(organization_id, checkpoint.seq),
                io.BytesIO(body),
                len(body),
                content_type="application/jsonl",
                retention=Retention(COMPLIANCE, until),
            )
        except S3Error as error:
            raise ArchiveUnavailable(f"Object storage refused a segment ({error.code}).") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ArchiveUnavailable("Object storage is unreachable.") from error

    def organizations(self) -> set[uuid.UUID]:
        """Every organization with a locked copy, delete markers or not."""
        listing = self._guarded(
            lambda: list(self._client.list_objects(self._bucket, recursive=True, include_version=True))
        )
        found = set()
        for entry in listing:
            try:
                found.add(uuid.UUID(entry.object_name.split("/", 1)[0]))
            except ValueError:
                continue  # not a segment name: nothing of an organization's to compare
        return found

    def read(self, organization_id: uuid.UUID) -> ArchivedTrail:
        """Every version of every segment of the organization; delete markers hide nothing here."""
        trail = ArchivedTrail(organization_id)
        listing = self._guarded(
            lambda: list(
                self._client.list_objects(
                    self._bucket, prefix=f"{organization_id}/", recursive=True, include_version=True
                )
            )
        )
        for entry in sorted(listing, key=lambda e: (e.object_name, e.last_modified or dt.datetime.min)):
            if entry.is_delete_marker:
                continue
            body = self._guarded(functools.partial(self._get, entry.object_name, entry.version_id))
            try:
                parsed = read_trail(body.splitlines())
            except MalformedTrail as error:
                trail.problems.append(f"{entry.object_name} is not a trail segment ({error})")
                continue
            if parsed.organization_id != organization_id:
                trail.problems.append(f"{entry.object_name} names another organization")
                continue
            trail.segments.append(
                Segment(entry.object_name, entry.version_id, parsed.records, parsed.checkpoints)
            )
        return trail

    def _get(self, name: str, version_id: str | None) -> bytes:
        response = self._client.get_object(self._bucket, name, version_id=version_id)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    @staticmethod
    def _guarded(operation: Callable[[], _T]) -> _T:
        try:
            return operation()
        except S3Error as error:
            raise ArchiveUnavailable(f"Object storage refused to read the archive ({error.code}).") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ArchiveUnavailable("Object storage is unreachable.") from error
