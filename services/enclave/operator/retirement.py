"""Retiring a deleted Organization: terminate it, keep its data for its retention period, then
crypto-shred it, and only then let the resource go.

Owns the order a deletion follows: the organization's row is marked terminated (``termination.terminate``:
from then on it is read-only, its people may still export), its ``shred_after`` is the termination time
plus ``retentionDays`` (a day lasts ``ENCLAVE_OPERATOR_RETENTION_DAY_S`` seconds: 86400, or 1 in
tests); until then the handler reports how long is left and is retried; after it the organization's
transit key is destroyed (the ciphertext in PostgreSQL and in its bucket stays, unreadable by anyone),
then its realm (its people's accounts), its bucket credentials and the operator's Secrets are
removed. Must never destroy a key before ``shred_after``, nor touch an organization this resource did
not make (one whose id is not in its status).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.keyring import KeyRing
from enclave.crypto.kms import KmsUnavailable
from enclave.db.repositories.organizations import OrganizationRepository
from enclave.db.session import bind_tenant
from enclave.operator import desired
from enclave.operator.components import (
    DATABASE,
    DATABASE_DOWN,
    KEYCLOAK,
    KMS,
    OBJECT_STORE,
    ComponentDown,
    Components,
    guarded_thread,
)
from enclave.operator.conditions import timestamp
from enclave.operator.kube import KubeClient
from enclave.operator.reconcile import Resource, delete_service_account
from enclave.operator.spec import OrganizationSpec
from enclave.operator.tenant_policy import policy_name
from enclave.organizations.termination import shred_if_due, terminate


@dataclass
class Retirement:
    done: bool
    message: str
    status: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)
    #: Seconds until the retention period ends (when not done and waiting for it).
    remaining_s: float | None = None


async def shred_organization(
    keyring: KeyRing, sessions: async_sessionmaker[AsyncSession], organization_id: uuid.UUID, now: dt.datetime
) -> bool:
    """Destroys one organization's key if its export window has passed; True once it is shredded (now
    or before). The row is taken ``FOR UPDATE SKIP LOCKED`` like the shredder's round, so the two never
    both act; the key goes first, so a failed commit leaves a key already gone, found by the next run."""
    async with sessions() as session, session.begin():
        await bind_tenant(session, organization_id)
        if await shred_if_due(keyring, session, organization_id, now):
            return True
        current = await OrganizationRepository(session, organization_id).get()
        return current is None or current.shredded_at is not None


async def retire(
    components: Components,
    kube: KubeClient,
    spec: OrganizationSpec,
    resource: Resource,
    *,
    previous_status: Mapping[str, Any],
    now: dt.datetime,
    day_s: int,
    data_key_max_age_s: float = 86_400.0,
) -> Retirement:
    known = previous_status.get("organizationId")
    if not known:
        return Retirement(True, "Nothing was made for this Organization.")
    organization_id = uuid.UUID(str(known))
    result = Retirement(False, "")
    try:
        async with components.sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            row = await OrganizationRepository(session, organization_id).get(for_update=True)
            if row is None:
                return Retirement(True, "The organization's row is gone; nothing to keep or shred.")
            if row.terminated_at is None:
                done = terminate(row, row.slug, now)
                row.shred_after = desired.shred_after(done.terminated_at, spec.retention_days, day_s)
                kept = timestamp(row.shred_after)
                result.events.append(
                    ("Terminated", f"Organization {spec.slug} terminated; its data is kept until {kept}.")
                )
            terminated_at, shred_after, shredded_at = row.terminated_at, row.shred_after, row.shredded_at
    except DATABASE_DOWN as error:
        raise ComponentDown(DATABASE) from error
    if terminated_at is None or shred_after is None:  # pragma: no cover - set above, or by the api
        raise RuntimeError("A terminated organization has no termination time.")
    result.status.update({"terminatedAt": timestamp(terminated_at), "shredAfter": timestamp(shred_after)})
    if shredded_at is None:
        if now < shred_after:
            result.remaining_s = (shred_after - now).total_seconds()
            result.message = f"Retention: the data is kept until {timestamp(shred_after)}."
            return result
        keyring = KeyRing(components.keys(spec.kms), components.sessions, max_age_s=data_key_max_age_s)
        try:
            shredded = await shred_organization(keyring, components.sessions, organization_id, now)
        except KmsUnavailable as error:
            raise ComponentDown(KMS) from error
        except DATABASE_DOWN as error:
            raise ComponentDown(DATABASE) from error
        if not shredded:
            result.message = "Another process is shredding the organization; checking again."
            result.remaining_s = 1.0
            return result
        result.events.append(
            (
                "Shredded",
                f"Organization {spec.slug}: its key was destroyed; its data can never be read again.",
            )
        )
    if previous_status.get("kmsPolicy"):
        policies = components.policies(spec.kms)
        await guarded_thread(KMS, lambda: policies.delete(policy_name(organization_id)))
    realm = str(previous_status.get("realm") or "")
    if realm:
        await guarded_thread(KEYCLOAK, lambda: components.realms().delete_realm(realm))
    if previous_status.get("storageCredentialsSecret"):
        admin = components.minio_admin()
        access_key = desired.storage_access_key(organization_id)
        await guarded_thread(OBJECT_STORE, lambda: delete_service_account(admin, access_key))
    copy = components.credentials_copy
    if copy is not None:
        stale = desired.copied_credentials(organization_id, "", "")
        stale |= desired.copied_kms_credentials(organization_id, "", "")
        await kube.drop_secret_keys(copy.namespace, copy.name, stale)
    for secret in (
        desired.admin_password_secret_name(resource.name),
        desired.storage_credentials_secret_name(resource.name),
    ):
        await kube.delete_managed_secret(resource.namespace, secret)
    result.done = True
    result.message = "Shredded; its realm, its bucket credentials and the operator's Secrets removed."
    return result
