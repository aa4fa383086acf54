"""``/api/v1/datasets``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.authz.principal import Principal
from enclave.crypto.content import ContentCipher
from enclave.datasets import texts
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
from enclave.datasets.service import DatasetService, location
from enclave.datasets.uploads import UploadService, read_limited, upload_name
from enclave.settings import Settings
from enclave.storage.objects import ObjectStore
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Audit, Caller, Cipher, Cursor, Limit, Session, Store
from enclave.web.responses import problems


class DatasetController(Controller):
    path = "/datasets"
    tags = ["datasets"]  # noqa: RUF012

    @get(operation_id="dataset_list", responses=problems(), opt=access(Permission.ORG_DATASET_READ))
    async def list_datasets(
        self, session: Session, principal: Caller, cipher: Cipher, cursor: Cursor = None, limit: Limit = 50
    ) -> DatasetPage:
        return await DatasetService(session, principal.organization_id, cipher).list(cursor, limit)

    @post(
        operation_id="dataset_create",
        responses=problems(409),
        opt=access(Permission.ORG_DATASET_CREATE) | audited(AuditAction.DATA_DATASET_CREATE),
    )
    async def create(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        store: Store,
        audit: Audit,
        data: JSONBody[DatasetCreate],
    ) -> Response[Dataset]:
        dataset = await DatasetService(session, principal.organization_id, cipher).create(data, store)
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
        self, session: Session, principal: Caller, cipher: Cipher, dataset_id: FromPath[uuid.UUID]
    ) -> Dataset:
        return await DatasetService(session, principal.organization_id, cipher).get(dataset_id)

    @get(
        "/{dataset_id:uuid}/items",
        operation_id="data_item_list",
        responses=problems(404),
        opt=access(Permission.ORG_DATASET_READ),
    )
    async def list_items(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        dataset_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> DataItemPage:
        return await DatasetService(session, principal.organization_id, cipher).list_items(
            dataset_id, cursor, limit
        )

    @post(
        "/{dataset_id:uuid}/items",
        operation_id="data_item_import",
        responses=problems(404, 409),
        opt=access(Permission.ORG_DATASET_IMPORT) | audited(AuditAction.DATA_ITEM_IMPORT),
    )
    async def import_items(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        dataset_id: FromPath[uuid.UUID],
        data: JSONBody[DataItemImport],
    ) -> Response[DataItemImported]:
        imported = await DatasetService(session, principal.organization_id, cipher).import_items(
            dataset_id, data
        )
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
        session: Session,
        principal: Caller,
        cipher: Cipher,
        store: Store,
        audit: Audit,
        dataset_id: FromPath[uuid.UUID],
        content_disposition: Annotated[
            str | None, HeaderParameter(name="Content-Disposition", max_length=2000)
        ] = None,
    ) -> Response[DataItem]:
        name = upload_name(content_disposition)
        item = await _uploads(request, session, principal, cipher, store).upload(
            dataset_id,
            name,
            request.headers.get("content-type"),
            request.content_length,
            aiter(request.stream()),
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
        session: Session,
        principal: Caller,
        cipher: Cipher,
        dataset_id: FromPath[uuid.UUID],
    ) -> Response[DataItemImported]:
        settings: Settings = request.app.state.settings
        body = await read_limited(request, settings.api.max_text_import_bytes)
        media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        records = texts.parse(body, media_type)
        imported = await DatasetService(session, principal.organization_id, cipher).import_texts(
            dataset_id, records
        )
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
        session: Session,
        principal: Caller,
        cipher: Cipher,
        store: Store,
        dataset_id: FromPath[uuid.UUID],
        data: JSONBody[ImportRequest],
    ) -> Response[ImportResult]:
        result = await _uploads(request, session, principal, cipher, store).import_from(
            dataset_id, location(data.source), data.start_after, data.limit
        )
        return Response(result, status_code=201 if result.created else 200)


def _uploads(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    principal: Principal,
    cipher: ContentCipher,
    store: ObjectStore,
) -> UploadService:
    settings: Settings = request.app.state.settings
    datasets = DatasetService(session, principal.organization_id, cipher)
    return UploadService(datasets, cipher, store, settings.api.max_upload_bytes)
