"""A stored representation answered whole (200) or by one byte range (206), or 416 for a range
outside it: the one place the item-content and export-download routes build such an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from litestar import Response
from litestar.response import Stream

from enclave.web.audit import AuditNote
from enclave.web.ranges import RangeNotSatisfiable, content_range, parse_range

#: Customer content is never cached by anything between us and the user, nor run by the browser.
CONTENT_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Accept-Ranges": "bytes",
}


async def ranged(
    range_header: str | None,
    size: int,
    media_type: str,
    read: Callable[[int, int], Awaitable[AsyncIterator[bytes]]],
    audit: AuditNote,
    extra_headers: dict[str, str] | None = None,
) -> Response[bytes] | Stream:
    """The answer to a GET of ``size`` bytes: ``read(start, end)`` is called only for a non-empty,
    satisfiable range, and the audit note records how many bytes (and which range) went out."""
    headers = {**CONTENT_HEADERS, **(extra_headers or {})}
    try:
        wanted = parse_range(range_header, size)
    except RangeNotSatisfiable:
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted is not None else (0, size)
    audit.note(bytes=end - start, **({"range": f"{start}-{end - 1}"} if wanted is not None else {}))
    if size == 0:
        return Response(b"", media_type=media_type, headers=headers)
    chunks = await read(start, end)
    headers["Content-Length"] = str(end - start)
    if wanted is not None:
        headers["Content-Range"] = content_range(start, end, size)
    return Stream(
        chunks, media_type=media_type, status_code=206 if wanted is not None else 200, headers=headers
    )
