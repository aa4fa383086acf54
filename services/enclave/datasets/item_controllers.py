"""``/api/v1/items/{id}/content``: the only way an item's bytes leave storage (no presigned URLs)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter
from litestar.response import Stream

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.datasets.deps import provide_dataset_service
from enclave.datasets.service import DatasetService
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit
from enclave.web.ranges import RangeNotSatisfiable, content_range, parse_range
from enclave.web.responses import problems

#: Customer content is never cached by anything between us and the user, nor run by the browser.
CONTENT_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Accept-Ranges": "bytes",
}


class ItemController(Controller):
    path = "/items"
    tags = ["datasets"]  # noqa: RUF012
    dependencies = {"dataset_service": Provide(provide_dataset_service, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/{item_id:uuid}/content",
        operation_id="item_content_read",
        summary="Read an item's content (Range supported)",
        description=(
            "The item's bytes, decrypted as they stream, under the media type its upload was stored as. "
            "A single `Range: bytes=...` is answered 206 with only the segments it covers decrypted."
        ),
        responses=problems(404, 416),
        opt=access(Permission.TASK_CONTENT_READ, Target.ITEM) | audited(AuditAction.DATA_CONTENT_READ),
    )
    async def content(
        self,
        dataset_service: NamedDependency[DatasetService],
        audit: Audit,
        item_id: FromPath[uuid.UUID],
        range_: Annotated[str | None, HeaderParameter(name="Range", max_length=200)] = None,
    ) -> Response[bytes] | Stream:
        item = await dataset_service.stored_item(item_id)
        size = item.size
        try:
            wanted = parse_range(range_, size)
        except RangeNotSatisfiable:
            return Response(
                b"",
                status_code=416,
                headers={**CONTENT_HEADERS, "Content-Range": f"bytes */{size}"},
            )
        start, end = wanted if wanted is not None else (0, size)
        audit.note(bytes=end - start, **({"range": f"{start}-{end - 1}"} if wanted is not None else {}))
        headers = dict(CONTENT_HEADERS)
        if size == 0:
            return Response(b"", media_type=_bare(item.media_type), headers=headers)
        content = await dataset_service.read_content(item, start, end)
        headers["Content-Length"] = str(end - start)
        if wanted is not None:
            headers["Content-Range"] = content_range(start, end, size)
        return Stream(
            content.chunks,
            media_type=_bare(content.media_type),
            status_code=206 if wanted is not None else 200,
            headers=headers,
        )


def _bare(media_type: str) -> str:
    """The type without parameters: Litestar adds ``; charset=utf-8`` to every text type itself (and
    we store text only as UTF-8), so a stored charset must not be sent twice."""
    return media_type.split(";", 1)[0].strip()
