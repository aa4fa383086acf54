"""Where each organization's objects live: its home, the customer's own bucket it was made with (the
operator's ``spec.storage.mode: Existing``), or the installation's managed bucket for it.

Owns resolving an organization's home once per process (it never changes: migration 0016) and
``OrganizationObjects``, the one handle services and jobs store and read through, so no object call
can forget the home and land in a bucket the organization does not keep its data in. A home's
credentials are named by the organization's id and installed like any customer bucket's
(``enclave.storage.locations``); a home the installation cannot use is an outage (503), never a
fallback to another bucket.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.repositories.organizations import OrganizationRepository
from enclave.storage.locations import Location, LocationRefused
from enclave.storage.objects import READ_CHUNK, ObjectStore, StorageUnavailable, StoredObject, StoredStream

T = TypeVar("T")


def credentials_name(organization_id: uuid.UUID) -> str:
    """The name an organization's own bucket's credentials are installed under: ``org-<id hex>``."""
    return f"org-{organization_id.hex}"


class OrganizationObjects:
    """One organization's objects: in its home, unless a dataset names a location of its own."""

    def __init__(self, store: ObjectStore, organization_id: uuid.UUID, home: Location | None) -> None:
        self.store = store
        self.organization_id = organization_id
        self.home = home

    def _at(self, location: Location | None, call: Callable[[Location | None], T]) -> T:
        if location is not None or self.home is None:
            return call(location)
        try:
            return call(self.home)
        except LocationRefused as error:
            # The installation lacks the endpoint or the credentials the organization was made with:
            # an outage of its storage, not the caller's mistake.
            raise StorageUnavailable(f"The organization's own bucket cannot be used: {error}") from None

    def put(
        self, key: str, chunks: Iterable[bytes], length: int = -1, location: Location | None = None
    ) -> None:
        self._at(location, lambda at: self.store.put(self.organization_id, key, chunks, length, at))

    def get(
        self,
        key: str,
        start: int = 0,
        end: int | None = None,
        location: Location | None = None,
        *,
        chunk: int = READ_CHUNK,
        head: int = 0,
    ) -> StoredStream:
        return self._at(
            location,
            lambda at: self.store.get(self.organization_id, key, start, end, at, chunk=chunk, head=head),
        )

    def delete(self, key: str, location: Location | None = None) -> None:
        self._at(location, lambda at: self.store.delete(self.organization_id, key, at))

    # A dataset's own location, or an import's source: the customer names it, so its refusals are
    # theirs to see (400), as ``ObjectStore`` says them.

    def check(self, location: Location) -> None:
        self.store.check(location)

    def read_source(self, location: Location, key: str) -> Iterator[bytes]:
        return self.store.read_source(location, key)

    def list_source(self, location: Location, start_after: str | None, limit: int) -> list[StoredObject]:
        return self.store.list_source(location, start_after, limit)


class Homes:
    """Each organization's home, read from its row the first time it is needed, then remembered."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._known: dict[uuid.UUID, Location | None] = {}

    async def objects(self, session: AsyncSession, organization_id: uuid.UUID) -> OrganizationObjects:
        """The organization's objects; ``session`` must be bound to that organization."""
        if organization_id in self._known:
            home = self._known[organization_id]
        else:
            bucket = await OrganizationRepository(session, organization_id).home()
            home = (
                None
                if bucket is None
                else Location(
                    bucket.endpoint, bucket.bucket, "", bucket.region, credentials_name(organization_id)
                )
            )
            self._known[organization_id] = home
        return OrganizationObjects(self.store, organization_id, home)
