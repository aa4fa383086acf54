"""Dataset and data-item schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

ItemName = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]+$")]
MediaType = Annotated[str, msgspec.Meta(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")]


class BucketLocation(msgspec.Struct, forbid_unknown_fields=True):
    """A bucket in the customer's own S3 service. ``credentials`` names credentials installed with
    Enclave (never the keys themselves); ``endpoint`` must be one the installation allows."""

    endpoint: Annotated[str, msgspec.Meta(min_length=9, max_length=300, pattern=r"^https://")]
    bucket: Annotated[str, msgspec.Meta(min_length=3, max_length=63)]
    credentials: Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
    prefix: Annotated[str, msgspec.Meta(max_length=512)] = ""
    region: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")] = "us-east-1"


class Dataset(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: Literal["image", "text"]
    created_at: dt.datetime
    #: Where the dataset's objects (ciphertext only) are kept; None: the organization's bucket.
    storage: BucketLocation | None = None


class DatasetCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["image", "text"]
    storage: BucketLocation | None = None


class ImportRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Import the objects under ``source`` (its prefix), in key order, a page at a time."""

    source: BucketLocation
    start_after: Annotated[str, msgspec.Meta(max_length=1024)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class Rejected(msgspec.Struct):
    key: str
    reason: str


class ImportResult(msgspec.Struct):
    created: int
    rejected: list[Rejected]
    #: Pass as ``start_after`` to import the next page; None when the listing is done.
    next_start_after: str | None


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
