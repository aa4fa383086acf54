"""Streamed downloads (exports): the response shape, and the tenant-bound session a body is read from.

A streamed body outlives the request's transaction, which commits (with the download's audit event)
before the first byte is sent; so the body reads from a session of its own, bound to the same
organization, under the same row-level security. Every export format goes through here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.db.session import bind_tenant

#: Reads the body's lines from the session it is given.
LineSource = Callable[[AsyncSession], AsyncIterator[bytes]]


async def tenant_lines(
    factory: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, source: LineSource
) -> AsyncIterator[bytes]:
    """The lines ``source`` reads, from one read-only transaction bound to the organization."""
    async with factory() as session, session.begin():
        await bind_tenant(session, organization_id)
        async for line in source(session):
            yield line


async def primed(lines: AsyncIterator[bytes], head: bytes = b"") -> AsyncIterator[bytes]:
    """Reads the first chunk now, inside the handler, so a fault (a key that cannot be had, a
    database that fails) is still a clean 503 with nothing sent and the request rolled back; the rest
    streams. ``head`` goes first (a format's header line)."""
    first = await anext(lines, b"")
    return _chained(head + first, lines)


async def _chained(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


def attachment(lines: AsyncIterator[bytes], media_type: str, filename: str) -> Stream:
    """A download: saved under ``filename``, never cached by a browser or a proxy."""
    return Stream(
        lines,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
