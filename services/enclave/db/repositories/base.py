"""The repository base: tenant scoping done once, here, for every query (RLS enforces it again).

Owns ``scoped(...)``: each ``select`` on a tenant table gets ``organization_id = <caller's org>``;
``add`` stamps a new row with the caller's organization. Must never run a query on a tenant table
without that filter: subclasses build statements with ``self.select()`` (or ``self.scoped(...)`` for
another shape) and run them through ``self.get`` / ``self.list``, or page them with
``enclave.db.repositories.pages.page``; a statement that cannot go through ``scoped`` (an ``UPDATE``,
raw SQL) names ``organization_id`` itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.policy import Visibility
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


def visibility_filter(
    visibility: Visibility, grounds: dict[str, ColumnElement[bool]], project: Any = None
) -> ColumnElement[bool]:
    """The WHERE condition of a list: ``visibility``'s grounds that hold, each as the calling
    repository spells it for its table (``grounds``: ground name → condition), within the project an
    API key is restricted to (``project``: the table's project column; a table without one shows
    such a key nothing). A ground the caller has but the table cannot express is a bug, and raises
    rather than shows more or less."""
    if visibility.project_id is not None:
        within = false() if project is None else project == visibility.project_id
        return and_(within, visibility_filter(replace(visibility, project_id=None), grounds))
    if visibility.everything:
        return true()
    held = {
        "project_roles": bool(visibility.project_roles),
        "assigned": visibility.assigned,
        "reviewing": visibility.reviewing,
        "own": visibility.own,
        "org_roles": bool(visibility.org_roles),
    }
    missing = [name for name, holds in held.items() if holds and name not in grounds]
    if missing:
        raise ValueError(f"this list cannot filter by {', '.join(missing)}")
    conditions = [grounds[name] for name, holds in held.items() if holds]
    return or_(*conditions) if conditions else false()
