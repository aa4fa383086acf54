"""Dataset and data-item schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

ItemName = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]+$")]
MediaType = Annotated[str, msgspec.Meta(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")]


class Dataset(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: Literal["image", "text"]
    created_at: dt.datetime


class DatasetCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["image", "text"]


class DatasetPage(msgspec.Struct):
    items: list[Dataset]
    next_cursor: str | None


class DataItem(msgspec.Struct):
    id: uuid.UUID
    dataset_id: uuid.UUID
    name: str
    media_type: str
    attributes: dict[str, Any]
    #: Bytes of content served by ``GET /items/{id}/content``; None for a metadata-only item.
    size: int | None
    created_at: dt.datetime


class DataItemCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: ItemName
    media_type: MediaType
    attributes: Annotated[dict[str, Any], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=dict)


class DataItemImport(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[DataItemCreate], msgspec.Meta(min_length=1, max_length=1000)]


class DataItemImported(msgspec.Struct):
    created: int


class DataItemPage(msgspec.Struct):
    items: list[DataItem]
    next_cursor: str | None
