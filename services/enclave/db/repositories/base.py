"""The repository base: tenant scoping done once, here, for every query (RLS enforces it again).

Owns ``scoped(...)``: each ``select`` on a tenant table gets ``organization_id = <caller's org>``.
Must never run a query on a tenant table that skips it; subclasses build statements with
``self.select()`` and fetch through ``self.one_or_none`` / ``self.page``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.models.base import TenantMixin

M = TypeVar("M", bound=TenantMixin)
S = TypeVar("S", bound=Select)  # type: ignore[type-arg]  # any statement shape


class TenantRepository(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self, statement: S) -> S:
        """Adds the tenant filter. RLS would hide other tenants' rows anyway; this is the first wall."""
        return statement.where(self.model.organization_id == self.organization_id)

    def select(self) -> Select[Any]:
        return self.scoped(select(self.model))

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> M | None:
        statement = self.select().where(self.model.id == id_)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def list(self, statement: Select[Any]) -> Sequence[M]:
        return (await self.session.execute(statement)).scalars().all()

    def add(self, obj: M) -> M:
        obj.organization_id = self.organization_id
        self.session.add(obj)
        return obj
