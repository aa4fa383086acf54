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
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import urllib3
from minio import Minio
from minio.error import S3Error

from enclave.settings import S3Settings, TLSSettings, read_secret
from enclave.storage import locations
from enclave.storage.connection import https_pool, s3_client
from enclave.storage.locations import Credentials, Location, LocationRefused

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

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._held + b"".join(self._chunks)
        # Whole chunks go into the answer as they are; only the one that crosses ``size`` is split,
        # so each byte is copied once, by the join.
        parts = []
        have = 0
        while have < size:
            if self._held:
                chunk, self._held = self._held, b""
            else:
                following = next(self._chunks, None)
                if following is None:
                    break
                chunk = following
            need = size - have
            if len(chunk) > need:
                chunk, self._held = chunk[:need], chunk[need:]
            parts.append(chunk)
            have += len(chunk)
        return b"".join(parts)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One entry of a bucket listing."""

    key: str
    size: int


class ObjectStore:
    """The organization buckets, and the customer buckets that datasets or imports name."""

    def __init__(self, s3: S3Settings, tls: TLSSettings) -> None:
        self._settings = s3
        self._pool = https_pool(tls)
        self._client = self._minio(
            s3.endpoint, s3.region, read_secret(s3.access_key_file), read_secret(s3.secret_key_file)
        )
        self._external: dict[tuple[Location, Credentials], Minio] = {}
        self._buckets: set[str] = set()
        self._lock = threading.Lock()

    def _minio(self, endpoint: str, region: str, access_key: str, secret_key: str) -> Minio:
        return s3_client(self._pool, endpoint, region, access_key, secret_key)

    # --- where an object lives -----------------------------------------------------------------

    def check(self, location: Location) -> None:
        """Refuses a customer location that is not allowed or whose bucket its credentials cannot reach."""
        client = self._client_for(location)
        if not self._guard(client.bucket_exists, location.bucket):
            raise LocationRefused("The bucket does not exist, or these credentials cannot see it.")

    def _client_for(self, location: Location) -> Minio:
        # The credentials are read on every call (two small files): a Secret rotated under a running
        # pod (the kubelet rewrites the files) is used from the next call, not the next restart.
        credentials = locations.check(location, self._settings)
        with self._lock:
            client = self._external.get((location, credentials))
        if client is None:
            client = self._minio(
                location.endpoint, location.region, credentials.access_key, credentials.secret_key
            )
            with self._lock:
                self._external[(location, credentials)] = client
        return client

    def _target(
        self, organization_id: uuid.UUID, location: Location | None, key: str
    ) -> tuple[Minio, str, str]:
        if location is None:
            return self._client, self.ensure_bucket(organization_id), key
        return self._client_for(location), location.bucket, location.prefix + key

    def _guard(self, operation: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return operation(*args, **kwargs)
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchBucket"}:
                raise ObjectMissing("The stored object is missing.") from error
            if error.code in {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise StorageUnavailable(
                    "Object storage refused the credentials; nothing was stored."
                ) from error
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

    # --- objects -------------------------------------------------------------------------------

    def put(
        self,
        organization_id: uuid.UUID,
        key: str,
        chunks: Iterable[bytes],
        length: int = -1,
        location: Location | None = None,
    ) -> None:
        """Stores the chunks as one object. ``length`` is the exact stored size, or -1 if unknown.
        Any exception while reading ``chunks`` (a client that went away, a size limit) aborts the
        upload and propagates unchanged; nothing is left in the bucket."""
        client, bucket, name = self._target(organization_id, location, key)
        reader = cast(BinaryIO, _ChunkReader(chunks))
        try:
            client.put_object(
                bucket,
                name,
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
        self,
        organization_id: uuid.UUID,
        key: str,
        start: int = 0,
        end: int | None = None,
        location: Location | None = None,
        *,
        chunk: int = READ_CHUNK,
        head: int = 0,
    ) -> StoredStream:
        """Stored bytes ``[start, end)`` (``end=None``: to the end), streamed: first ``head`` bytes (if
        any) as one chunk, then chunks of exactly ``chunk`` bytes but the last. The request is made
        before this returns, so a missing object or an unreachable store fails here."""
        client, bucket, name = self._target(organization_id, location, key)
        length = 0 if end is None else end - start
        response = self._guard(client.get_object, bucket, name, offset=start, length=length)
        return StoredStream(_stream(response, chunk, head), _object_size(response))

    def delete(self, organization_id: uuid.UUID, key: str, location: Location | None = None) -> None:
        client, bucket, name = self._target(organization_id, location, key)
        self._guard(client.remove_object, bucket, name)

    def read_source(self, location: Location, key: str) -> Iterator[bytes]:
        """A customer object to import (plaintext, as the customer keeps it), streamed."""
        response = self._guard(self._client_for(location).get_object, location.bucket, key)
        return _stream(response)

    def list_source(self, location: Location, start_after: str | None, limit: int) -> list[StoredObject]:
        """Up to ``limit`` objects under the location's prefix, in key order, after ``start_after``."""
        client = self._client_for(location)
        listing = self._guard(
            client.list_objects,
            location.bucket,
            prefix=location.prefix or None,
            recursive=True,
            start_after=start_after or None,
        )
        found = []
        try:
            for entry in listing:
                if entry.is_dir or entry.object_name is None:
                    continue
                found.append(StoredObject(str(entry.object_name), int(entry.size or 0)))
                if len(found) == limit:
                    break
        except S3Error as error:
            # The customer named a bucket that is not there or not theirs to list: their input, a
            # 400 (as ``check`` says it), not an outage.
            if error.code in {"NoSuchBucket", "AccessDenied"}:
                raise LocationRefused(
                    "The bucket does not exist, or these credentials cannot list it."
                ) from error
            raise StorageUnavailable("Object storage refused to list the bucket.") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailable("Object storage is unreachable.") from error
        return found


class StoredStream(Iterator[bytes]):
    """The chunks of an object being read, and the size of the whole object as storage reports it."""

    def __init__(self, chunks: Iterator[bytes], size: int | None) -> None:
        self._chunks = chunks
        self.size = size

    def __next__(self) -> bytes:
        return next(self._chunks)


def _object_size(response: Any) -> int | None:
    """The whole object's size: from ``Content-Range: bytes a-b/size`` for a range, else the length."""
    content_range = response.headers.get("Content-Range")
    if content_range:
        total = content_range.rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _stream(response: Any, chunk: int = READ_CHUNK, head: int = 0) -> Iterator[bytes]:
    try:
        if head:
            yield response.read(head)
        yield from response.stream(chunk)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise StorageUnavailable("Object storage stopped answering mid-object.") from error
    finally:
        response.close()
        response.release_conn()
