"""Datasets and their data items (metadata here; bytes live in object storage), and which
projects use which datasets."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from enclave.db.models.base import Base, TenantMixin


class Dataset(TenantMixin, Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # "image" or "text"
    #: A customer bucket for the dataset's objects (endpoint, bucket, prefix, region and the *name* of
    #: its credentials); None: the organization's bucket.
    storage: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class DataItem(TenantMixin, Base):
    """An item's customer content (name, attributes, text) is sealed (``enclave.crypto.fields``, bound
    to this row and column); file bytes are an encrypted object in the organization's bucket. Names
    stay unique per dataset through ``name_index``, a keyed hash that reveals nothing of the name."""

    __tablename__ = "data_items"
    __table_args__ = (UniqueConstraint("dataset_id", "name_index"),)
    organization_indexed_alone = False  # see TenantMixin

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[bytes] = mapped_column(LargeBinary)
    name_index: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(100))
    attributes: Mapped[bytes] = mapped_column(LargeBinary)
    #: A text item's text, sealed (text imports); None for files and metadata-only items.
    text: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Plaintext size of the item's content (text or object); None while it has none.
    size: Mapped[int | None] = mapped_column(BigInteger)
    #: Whether the content is an object in the organization's bucket (key: the item id).
    stored: Mapped[bool] = mapped_column(default=False)
    #: The stored object's header (not secret, and authenticated by every segment): lets a Range
    #: read fetch only the segments it needs, in one request to storage.
    object_header: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: An image's size in pixels (what COCO, YOLO and VOC exports need); None while unknown.
    width: Mapped[int | None]
    height: Mapped[int | None]


class ProjectDataset(TenantMixin, Base):
    __tablename__ = "project_datasets"
    __table_args__ = (UniqueConstraint("project_id", "dataset_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
