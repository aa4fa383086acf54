"""Declarative base, naming conventions and the columns every tenant table shares."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TenantMixin(IdMixin):
    """A row that belongs to one organization; row-level security keys on this column."""

    #: Whether ``organization_id`` has an index of its own. The large tables looked up per row (a
    #: task's versions and reviews, an item by id, a project's tasks) have none (migration 0011).
    #: Under row-level security every lookup also names the organization; for an organization the
    #: statistics have not yet counted, that index looked as selective as the lookup's own, and
    #: PostgreSQL read all the organization's rows for each lookup.
    organization_indexed_alone: ClassVar[bool] = True

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("organizations.id", ondelete="CASCADE"), index=cls.organization_indexed_alone
        )


class VersionedMixin:
    """Optimistic concurrency: ``version`` is the ETag, bumped by SQLAlchemy on every update."""

    version: Mapped[int] = mapped_column(default=1)
    # Set in Python on update, so the new value is known without reading the row back.
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=lambda: dt.datetime.now(dt.UTC)
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:
        return {"version_id_col": cls.version}
