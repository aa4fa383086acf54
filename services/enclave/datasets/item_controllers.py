"""``/api/v1/items/{id}/content``: the only way an item's bytes leave storage (no presigned URLs)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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
from enclave.web.downloads import ranged
from enclave.web.guard import Target, access
from enclave.web.http import Audit
from enclave.web.responses import problems


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

        async def read(start: int, end: int) -> AsyncIterator[bytes]:
            return (await dataset_service.read_content(item, start, end)).chunks

        return await ranged(range_, item.size, _bare(item.media_type), read, audit)


def _bare(media_type: str) -> str:
    """The type without parameters: Litestar adds ``; charset=utf-8`` to every text type itself (and
    we store text only as UTF-8), so a stored charset must not be sent twice."""
    return media_type.split(";", 1)[0].strip()
