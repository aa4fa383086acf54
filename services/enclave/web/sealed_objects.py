"""A stored, encrypted object served by plaintext range: fetches only the segments the range covers,
in one request to storage, and decrypts them in a worker thread as they stream. Items' content and
jobs' files (export artifacts) both leave storage through here, after their route's policy check.

Must never hand out a byte of an object whose size or header is not the one the database recorded:
the object's own header is compared with the recorded one, and its size with the one expected.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

import anyio.to_thread

from enclave.crypto.content import ObjectOpener
from enclave.crypto.segmented import DecryptionFailed
from enclave.storage.homes import OrganizationObjects
from enclave.storage.locations import Location


async def read_range(
    opener: ObjectOpener,
    objects: OrganizationObjects,
    key: str,
    recorded_header: bytes,
    size: int,
    start: int,
    end: int,
    location: Location | None = None,
) -> AsyncIterator[bytes]:
    """Plaintext ``[start, end)`` of the object under ``key`` (``end`` exclusive, within ``size``).
    The first segment is fetched and verified before this returns: damage there (a swapped object, a
    changed header) or a store that is down fails the request cleanly; damage further on can only
    cut the transfer short."""
    span = opener.stored_range(start, end)
    stored_end = min(span.end, opener.stored_size(size))
    # Whole segments, one per chunk (nothing is re-cut or copied); a read from the start also
    # fetches the object's own header, which must be the one the database recorded.
    whole = span.start == opener.header.size
    stored = await anyio.to_thread.run_sync(
        functools.partial(
            objects.get,
            key,
            0 if whole else span.start,
            stored_end,
            location,
            chunk=opener.header.stored_segment_size,
            head=opener.header.size if whole else 0,
        )
    )
    if stored.size != opener.stored_size(size):
        raise DecryptionFailed("the stored object's size is not the one recorded for it")
    if whole:
        stored_header = await anyio.to_thread.run_sync(next, stored, b"")
        if stored_header != recorded_header:
            raise DecryptionFailed("the stored object's header is not the one recorded for it")
    plaintext = opener.decrypt_range(stored, size, start, end)
    first = await anyio.to_thread.run_sync(next, plaintext, None)
    return _in_thread(first, plaintext)


async def _in_thread(first: bytes | None, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Reads and decrypts each chunk in a worker thread, so the event loop never waits on either."""
    if first is None:
        return
    yield first
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk
