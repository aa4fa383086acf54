"""``/api/v1/datasets``."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from enclave.api.auth.guard import access
from enclave.api.v1.http import Caller, Cursor, Limit, Session
from enclave.api.v1.responses import problems
from enclave.authz.permissions import Permission
from enclave.datasets.schemas import (
    DataItemImport,
    DataItemImported,
    DataItemPage,
    Dataset,
    DatasetCreate,
    DatasetPage,
)
from enclave.datasets.service import DatasetService


class DatasetController(Controller):
    path = "/datasets"
    tags = ["datasets"]  # noqa: RUF012

    @get(operation_id="dataset_list", responses=problems(), opt=access(Permission.ORG_DATASET_READ))
    async def list_datasets(
        self, session: Session, principal: Caller, cursor: Cursor = None, limit: Limit = 50
    ) -> DatasetPage:
        return await DatasetService(session, principal.organization_id).list(cursor, limit)

    @post(operation_id="dataset_create", responses=problems(409), opt=access(Permission.ORG_DATASET_CREATE))
    async def create(
        self, session: Session, principal: Caller, data: JSONBody[DatasetCreate]
    ) -> Response[Dataset]:
        return Response(
            await DatasetService(session, principal.organization_id).create(data), status_code=201
        )

    @get(
        "/{dataset_id:uuid}",
        operation_id="dataset_read",
        responses=problems(404),
        opt=access(Permission.ORG_DATASET_READ),
    )
    async def read(self, session: Session, principal: Caller, dataset_id: FromPath[uuid.UUID]) -> Dataset:
        return await DatasetService(session, principal.organization_id).get(dataset_id)

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
        dataset_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> DataItemPage:
        return await DatasetService(session, principal.organization_id).list_items(dataset_id, cursor, limit)

    @post(
        "/{dataset_id:uuid}/items",
        operation_id="data_item_import",
        responses=problems(404, 409),
        opt=access(Permission.ORG_DATASET_IMPORT),
    )
    async def import_items(
        self,
        session: Session,
        principal: Caller,
        dataset_id: FromPath[uuid.UUID],
        data: JSONBody[DataItemImport],
    ) -> Response[DataItemImported]:
        imported = await DatasetService(session, principal.organization_id).import_items(dataset_id, data)
        return Response(imported, status_code=201)
