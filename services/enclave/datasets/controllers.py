"""``/api/v1/datasets``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.datasets import texts
from enclave.datasets.deps import provide_dataset_service
from enclave.datasets.schemas import (
    DataItem,
    DataItemImport,
    DataItemImported,
    DataItemPage,
    Dataset,
    DatasetCreate,
    DatasetPage,
    ImportRequest,
    ImportResult,
)
from enclave.datasets.service import DatasetService
from enclave.datasets.uploads import read_limited, upload_name
from enclave.settings import Settings
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Audit, Cursor, Limit
from enclave.web.responses import problems


class DatasetController(Controller):
    path = "/datasets"
    tags = ["datasets"]  # noqa: RUF012
    dependencies = {"dataset_service": Provide(provide_dataset_service, sync_to_thread=False)}  # noqa: RUF012

    @get(operation_id="dataset_list", responses=problems(), opt=access(Permission.ORG_DATASET_READ))
    async def list_datasets(
        self, dataset_service: NamedDependency[DatasetService], cursor: Cursor = None, limit: Limit = 50
    ) -> DatasetPage:
        return await dataset_service.list(cursor, limit)

    @post(
        operation_id="dataset_create",
        responses=problems(409),
        opt=access(Permission.ORG_DATASET_CREATE) | audited(AuditAction.DATA_DATASET_CREATE),
    )
    async def create(
        self, dataset_service: NamedDependency[DatasetService], audit: Audit, data: JSONBody[DatasetCreate]
    ) -> Response[Dataset]:
        dataset = await dataset_service.create(data)
        audit.note(
            target=f"dataset:{dataset.id}", kind=dataset.kind, customer_bucket=dataset.storage is not None
        )
        return Response(dataset, status_code=201)

    @get(
        "/{dataset_id:uuid}",
        operation_id="dataset_read",
        responses=problems(404),
        opt=access(Permission.ORG_DATASET_READ),
    )
    async def read(
        self, dataset_service: NamedDependency[DatasetService], dataset_id: FromPath[uuid.UUID]
    ) -> Dataset:
        return await dataset_service.get(dataset_id)

    @get(
        "/{dataset_id:uuid}/items",
        operation_id="data_item_list",
        responses=problems(404),
        opt=access(Permission.ORG_DATASET_READ),
    )
    async def list_items(
        self,
        dataset_service: NamedDependency[DatasetService],
        dataset_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> DataItemPage:
        return await dataset_service.list_items(dataset_id, cursor, limit)

    @post(
        "/{dataset_id:uuid}/items",
        operation_id="data_item_import",
        responses=problems(404, 409),
        opt=access(Permission.ORG_DATASET_IMPORT) | audited(AuditAction.DATA_ITEM_IMPORT),
    )
    async def import_items(
        self,
        dataset_service: NamedDependency[DatasetService],
        dataset_id: FromPath[uuid.UUID],
        data: JSONBody[DataItemImport],
    ) -> Response[DataItemImported]:
        imported = await dataset_service.import_items(dataset_id, data)
        return Response(imported, status_code=201)

    @post(
        "/{dataset_id:uuid}/files",
        operation_id="data_item_upload",
        summary="Upload one file as a new item",
        description=(
            "The request body is the file itself (any Content-Length, or chunked), named by "
            "`Content-Disposition: attachment; filename=...` (RFC 6266; `filename*` for non-ASCII). "
            "The bytes decide the stored media type (PNG, JPEG, GIF, WebP, TIFF, BMP or DICOM for image "
            "datasets, UTF-8 text for text datasets); a Content-Type that disagrees is refused (415). "
            "The file is encrypted as it streams into the organization's bucket."
        ),
        responses=problems(404, 409, 413, 415),
        opt=access(Permission.ORG_DATASET_IMPORT) | audited(AuditAction.DATA_ITEM_UPLOAD),
        request_max_body_size=None,  # the upload limit is the api's own setting, enforced while streaming
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        dataset_service: NamedDependency[DatasetService],
        audit: Audit,
        dataset_id: FromPath[uuid.UUID],
        content_disposition: Annotated[
            str | None, HeaderParameter(name="Content-Disposition", max_length=2000)
        ] = None,
    ) -> Response[DataItem]:
        name = upload_name(content_disposition)
        item = await dataset_service.upload(
            dataset_id,
            name,
            request.headers.get("content-type"),
            request.content_length,
            aiter(request.stream()),
            _settings(request).api.max_upload_bytes,
        )
        audit.note(
            target=f"item:{item.id}", dataset=str(dataset_id), size=item.size, media_type=item.media_type
        )
        return Response(item, status_code=201)

    @post(
        "/{dataset_id:uuid}/texts",
        operation_id="text_item_import",
        summary="Import text items from JSONL or CSV",
        description=(
            'The body is `application/jsonl` (one `{"text": ..., "name"?: ..., "attributes"?: {...}}` '
            "per line) or `text/csv` (a header row with a `text` column, optionally `name`; other columns "
            "become attributes). All or nothing; each text is sealed before it is stored."
        ),
        responses=problems(404, 409, 413),
        opt=access(Permission.ORG_DATASET_IMPORT) | audited(AuditAction.DATA_ITEM_IMPORT),
        request_max_body_size=None,  # checked below against the api's own setting
    )
    async def import_texts(
        self,
        request: Request[Any, Any, Any],
        dataset_service: NamedDependency[DatasetService],
        dataset_id: FromPath[uuid.UUID],
    ) -> Response[DataItemImported]:
        body = await read_limited(request, _settings(request).api.max_text_import_bytes)
        media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        records = texts.parse(body, media_type)
        imported = await dataset_service.import_texts(dataset_id, records)
        return Response(imported, status_code=201)

    @post(
        "/{dataset_id:uuid}/imports",
        operation_id="data_item_bucket_import",
        summary="Import objects from a customer bucket",
        description=(
            "Lists the objects under `source` (an allowed endpoint, installed credentials named by "
            "`credentials`), and imports up to `limit` of them after `start_after`: each is read, its type "
            "checked from its bytes, encrypted and stored like an upload, named by its key below the "
            "prefix. Objects that cannot be items are listed in `rejected`. Call again with "
            "`next_start_after` until it is null."
        ),
        responses=problems(404),
        opt=access(Permission.ORG_DATASET_IMPORT) | audited(AuditAction.DATA_ITEM_IMPORT),
    )
    async def import_from_bucket(
        self,
        request: Request[Any, Any, Any],
        dataset_service: NamedDependency[DatasetService],
        dataset_id: FromPath[uuid.UUID],
        data: JSONBody[ImportRequest],
    ) -> Response[ImportResult]:
        result = await dataset_service.import_from(dataset_id, data, _settings(request).api.max_upload_bytes)
        return Response(result, status_code=201 if result.created else 200)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
