"""A new organization on the real stack, provisioned as the operator provisions one
(``provision_organization``, as the api's database role), for the suites and the benchmarks alike.

Must never reuse an organization: each call makes its own, under the slug it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.kms import TenantKeys
from enclave.db.engine import create_engine
from enclave.db.repositories.organizations import CustomerBucket, OwnKms
from enclave.organizations.provisioning import Provisioned, provision_organization
from enclave.settings import DatabaseSettings, TLSSettings, VaultSettings


@asynccontextmanager
async def new_organization(
    slug: str,
    name: str,
    admin_name: str,
    *,
    application_name: str = "enclave-tests",
    home: CustomerBucket | None = None,
    kms: OwnKms | None = None,
) -> AsyncIterator[tuple[AsyncSession, Provisioned]]:
    """Provisions ``slug`` and yields the session it was made in, still in its transaction, so the
    caller can add to it (an API key, say); everything commits together when the block ends. With
    ``kms``, its key is made there by the stack's root token (the operator's part in a cluster)."""
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name=application_name)
    try:
        async with engine.connect() as connection, connection.begin():
            session = AsyncSession(bind=connection)
            done = await provision_organization(
                session,
                TenantKeys(_vault(kms), TLSSettings()),
                slug=slug,
                name=name,
                admin_email=f"admin@{slug}.example",
                admin_name=admin_name,
                home=home,
                kms=kms,
            )
            yield session, done
            await session.flush()
    finally:
        await engine.dispose()


def _vault(kms: OwnKms | None) -> VaultSettings:
    settings = VaultSettings()
    if kms is None:
        return settings
    update: dict[str, object] = {"role_id_file": None, "secret_id_file": None}
    if kms.address is not None:
        update["url"] = kms.address
    if kms.mount is not None:
        update["transit_mount"] = kms.mount
    return settings.model_copy(update=update)
