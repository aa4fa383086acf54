"""Object storage: one bucket per organization in MinIO (or the customer's S3 service), holding only
ciphertext that ``enclave.crypto`` made.

Owns bucket naming and creation, streaming an object in (S3 multipart for large ones, aborted on any
failure so nothing half-written remains), reading one back whole or by stored byte range, and
deleting. Must never see plaintext, hand out presigned URLs, or speak anything but verified TLS.
Methods block (the minio client is synchronous): call them from a worker thread.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, cast

import urllib3
from minio import Minio
from minio.error import S3Error

from enclave.settings import S3Settings, TLSSettings, read_secret

#: Part size of multipart uploads whose length is not known in advance (S3 allows 5 MiB .. 5 GiB).
PART_SIZE = 16 * 1024 * 1024
#: Bytes read from storage per chunk when streaming an object out.
READ_CHUNK = 1024 * 1024 + 16


class StorageError(Exception):
    """Base of the storage errors; messages never carry credentials or content."""


class StorageUnavailable(StorageError):
    """The object store cannot be reached or failed: nothing was stored."""


class ObjectMissing(StorageError):
    """The object an item names is not in its bucket."""


def bucket_name(organization_id: uuid.UUID) -> str:
    """``enclave-<org hex>``: 40 characters, within S3's 3..63 and its character rules."""
    return f"enclave-{organization_id.hex}"


class _ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, the shape the minio client reads from.

    Written by hand because the minio client takes only ``read(n)``-style input and the standard
    library has no adapter from an iterator to a raw stream; it answers each ``read(n)`` with up to
    ``n`` bytes so the client copies every part once."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._held = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._held + b"".join(self._chunks)
        parts = [self._held]
        have = len(self._held)
        while have < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._held = data[size:]
        return data[:size]


class ObjectStore:
    def __init__(self, s3: S3Settings, tls: TLSSettings) -> None:
        pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(tls.ca_file),
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
            maxsize=16,
        )
        self._client = Minio(
            s3.endpoint.removeprefix("https://").rstrip("/"),
            access_key=read_secret(s3.access_key_file),
            secret_key=read_secret(s3.secret_key_file),
            secure=True,
            region=s3.region,
            http_client=pool,
        )
        self._buckets: set[str] = set()
        self._lock = threading.Lock()

    def _guard(self, operation: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return operation(*args, **kwargs)
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchBucket"}:
                raise ObjectMissing("The stored object is missing.") from error
            raise StorageUnavailable("Object storage refused the request; nothing was stored.") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailable("Object storage is unreachable; nothing was stored.") from error

    def ensure_bucket(self, organization_id: uuid.UUID) -> str:
        name = bucket_name(organization_id)
        with self._lock:
            if name in self._buckets:
                return name
        if not self._guard(self._client.bucket_exists, name):
            try:
                self._client.make_bucket(name)
            except S3Error as error:
                if error.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StorageUnavailable("Object storage refused to create a bucket.") from error
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise StorageUnavailable("Object storage is unreachable; nothing was stored.") from error
        with self._lock:
            self._buckets.add(name)
        return name

    def put(self, organization_id: uuid.UUID, key: str, chunks: Iterable[bytes], length: int = -1) -> None:
        """Stores the chunks as one object. ``length`` is the exact stored size, or -1 if unknown.
        Any exception while reading ``chunks`` (a client that went away, a size limit) aborts the
        upload and propagates unchanged; nothing is left in the bucket."""
        bucket = self.ensure_bucket(organization_id)
        reader = cast(BinaryIO, _ChunkReader(chunks))
        try:
            self._client.put_object(
                bucket,
                key,
                reader,
                length=length,
                part_size=0 if length >= 0 else PART_SIZE,
                content_type="application/octet-stream",
            )
        except S3Error as error:
            raise StorageUnavailable("Object storage refused the upload; nothing was stored.") from error
        except urllib3.exceptions.HTTPError as error:
            raise StorageUnavailable("Object storage is unreachable; nothing was stored.") from error

    def get(
        self, organization_id: uuid.UUID, key: str, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Stored bytes ``[start, end)`` (``end=None``: to the end), streamed in chunks. The request is
        made before this returns, so a missing object or an unreachable store fails here."""
        length = 0 if end is None else end - start
        response = self._guard(
            self._client.get_object, bucket_name(organization_id), key, offset=start, length=length
        )
        return _stream(response)

    def delete(self, organization_id: uuid.UUID, key: str) -> None:
        self._guard(self._client.remove_object, bucket_name(organization_id), key)


def _stream(response: Any) -> Iterator[bytes]:
    try:
        yield from response.stream(READ_CHUNK)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise StorageUnavailable("Object storage stopped answering mid-object.") from error
    finally:
        response.close()
        response.release_conn()
