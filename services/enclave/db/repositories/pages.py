"""Keyset (cursor) pagination over ``(created_at, id)``: stable under inserts, no OFFSET scans.

A cursor is opaque to clients: base64url of the last row's sort key. A cursor that does not decode
is the client's error (``InvalidInput``), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models.base import IdMixin
from enclave.domain.errors import InvalidInput

M = TypeVar("M", bound=IdMixin)
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    items: Sequence[M]
    next_cursor: str | None


def encode_cursor(created_at: dt.datetime, id_: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, id_ = raw.split("|", 1)
        when, key = dt.datetime.fromisoformat(created_at), uuid.UUID(id_)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput("The cursor is not one this API issued.") from error
    if when.tzinfo is None:
        raise InvalidInput("The cursor is not one this API issued.")
    return when, key


async def page(
    session: AsyncSession, statement: Select[Any], model: type[M], cursor: str | None, limit: int
) -> Page[M]:
    """One page of ``statement``'s rows in creation order, after ``cursor``."""
    if cursor:
        created_at, id_ = decode_cursor(cursor)
        statement = statement.where(tuple_(model.created_at, model.id) > tuple_(created_at, id_))
    limit = max(1, min(limit, MAX_LIMIT))
    rows = (
        (await session.execute(statement.order_by(model.created_at, model.id).limit(limit + 1)))
        .scalars()
        .all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(rows, next_cursor)
