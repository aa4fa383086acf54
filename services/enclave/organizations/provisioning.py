"""Creates an organization and its first admin: the one writer of new tenants (the operator, the
first-run demo and the test suites call it; the public API never does). Runs as the api role: the new
organization's id is bound as the transaction's tenant before its rows are inserted (through the
organizations and members repositories), so row-level security's WITH CHECK accepts exactly those
rows. Must never make an organization without its key, nor build a query itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.kms import TenantKeys
from enclave.db.models import OrgMembership, User
from enclave.db.models.base import new_id
from enclave.db.repositories.members import MemberRepository
from enclave.db.repositories.organizations import CustomerBucket, OrganizationRepository, OwnKms
from enclave.db.session import bind_tenant
from enclave.domain.roles import OrgRole
from enclave.identity.keycloak_admin import check_realm_name


@dataclass(frozen=True, slots=True)
class Provisioned:
    organization_id: uuid.UUID
    admin_user_id: uuid.UUID


async def provision_organization(
    session: AsyncSession,
    keys: TenantKeys,
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_name: str,
    workforce: bool = False,
    home: CustomerBucket | None = None,
    kms: OwnKms | None = None,
) -> Provisioned:
    """Makes the organization's key in the KMS, then inserts the organization and its admin in the
    session's transaction (the caller commits). The key comes first: an organization never exists
    without the key its content is sealed under (a key whose rows roll back is merely unused).
    ``home``: the customer's bucket its objects are kept in, for good; None: a managed bucket.
    ``kms``: where its key lives, for good (``keys`` must be that KMS's); None: the installation's."""
    check_realm_name(slug)  # the slug names the organization's Keycloak realm too
    org_id = new_id()
    await anyio.to_thread.run_sync(keys.ensure_key, org_id)
    await bind_tenant(session, org_id)
    await OrganizationRepository(session, org_id).add(
        slug=slug, name=name, workforce=workforce, home=home, kms=kms
    )
    members = MemberRepository(session, org_id)
    admin = members.add_user(User(id=new_id(), email=admin_email.lower(), display_name=admin_name))
    await session.flush()
    members.add(OrgMembership(id=new_id(), user_id=admin.id, role=OrgRole.ADMIN))
    await session.flush()
    return Provisioned(org_id, admin.id)
