"""Reads and changes the caller's organization: its settings, its identity providers, its key in the
customer's KMS and its termination (creation belongs to provisioning). A change is decided on the
organization's row locked for update (settings after ``If-Match``, a termination), so two changes take
turns instead of both deciding on the same state. Must never build a query (rows come from
``OrganizationRepository``) nor hand an ORM row to a controller: it returns ``organizations.schemas``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.rotation import KeyRotation
from enclave.db.models import Organization as OrganizationRow
from enclave.db.repositories.organizations import OrganizationRepository
from enclave.domain.errors import NotFound, Unavailable
from enclave.identity.brokering import IdentityProviderSpec
from enclave.identity.realms import RealmService
from enclave.organizations import termination
from enclave.organizations.schemas import (
    IdentityProvider,
    IdentityProviderList,
    IdentityProviderPut,
    KeyRotationStarted,
    KeyStatus,
    Organization,
    OrganizationSettings,
    OrganizationUpdate,
    Termination,
)
from enclave.web.http import check_if_match

_NO_IDENTITY_PROVIDERS = "Sign-in is not configured, so identity providers cannot be managed."


def to_schema(row: OrganizationRow) -> Organization:
    return Organization(
        id=row.id,
        slug=row.slug,
        name=row.name,
        workforce=row.workforce,
        settings=msgspec.convert(row.settings or {}, OrganizationSettings),
        version=row.version,
        created_at=row.created_at,
    )


class OrganizationService:
    def __init__(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        *,
        realms: RealmService | None,
        rotation: KeyRotation,
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.organizations = OrganizationRepository(session, organization_id)
        #: Keycloak's admin side (None when sign-in is not configured).
        self.realms = realms
        self.rotation = rotation

    async def _row(self, *, for_update: bool = False) -> OrganizationRow:
        """The organization's row; ``for_update`` when the request will change it (its settings, its
        termination), so two such changes take turns instead of both deciding on the same state."""
        row = await self.organizations.get(for_update=for_update)
        if row is None:
            raise NotFound("No such organization.")
        return row

    def _realms(self, refused: str) -> RealmService:
        if self.realms is None:
            raise Unavailable(refused)
        return self.realms

    async def read(self) -> Organization:
        return to_schema(await self._row())

    async def update(self, change: OrganizationUpdate, if_match: str | None) -> Organization:
        row = await self._row(for_update=True)
        check_if_match(if_match, row.version)
        if change.name is not msgspec.UNSET:
            row.name = change.name
        if change.settings is not msgspec.UNSET:
            settings: dict[str, Any] = msgspec.to_builtins(change.settings)
            mfa = bool(settings.get("mfa_required"))
            if mfa != bool((row.settings or {}).get("mfa_required")):
                # Keycloak first: if it fails nothing is committed. Should the commit fail after it,
                # both halves fail safe (MFA asked by Keycloak, or still demanded by the api).
                realms = self._realms("Sign-in is not configured, so MFA cannot be changed.")
                await asyncio.to_thread(realms.set_mfa_required, row.slug, mfa)
            row.settings = settings
        await self.session.flush()
        return to_schema(row)

    async def terminate(self, confirm_slug: str) -> Termination:
        """Terminates the organization (see ``termination``); the request's transaction commits it."""
        row = await self._row(for_update=True)
        done = termination.terminate(row, confirm_slug, dt.datetime.now(dt.UTC))
        await self.session.flush()
        return Termination(done.terminated_at, done.shred_after)

    async def key_status(self) -> KeyStatus:
        status = await self.rotation.status(self.organization_id)
        counts = {str(version): count for version, count in sorted(status.data_keys_by_version.items())}
        return KeyStatus(status.latest_version, status.min_decryption_version, counts)

    async def rotate_key(self) -> KeyRotationStarted:
        """Makes the new key version now; re-wrapping the data keys under it goes on in the background."""
        version = await self.rotation.start(self.organization_id, self.session)
        # It waits for the data-key lock this request holds until it commits, with its audit event.
        self.rotation.finish_in_background(self.organization_id)
        return KeyRotationStarted(version)

    async def put_identity_provider(self, alias: str, data: IdentityProviderPut) -> IdentityProvider:
        realms = self._realms(_NO_IDENTITY_PROVIDERS)
        slug = (await self._row()).slug
        spec = IdentityProviderSpec(alias, data.kind, data.display_name, dict(data.config))  # type: ignore[arg-type]
        await asyncio.to_thread(realms.ensure_identity_provider, slug, spec)
        return IdentityProvider(
            alias, data.kind, data.display_name, realms.broker_endpoint(slug, alias), realms.issuer(slug)
        )

    async def list_identity_providers(self) -> IdentityProviderList:
        """The company IdPs connected to the organization's realm (never their secrets: Keycloak
        does not return them, and only alias, kind and name are read)."""
        realms = self._realms(_NO_IDENTITY_PROVIDERS)
        slug = (await self._row()).slug
        found = await asyncio.to_thread(realms.identity_providers, slug)
        return IdentityProviderList(
            [
                IdentityProvider(alias, kind, name, realms.broker_endpoint(slug, alias), realms.issuer(slug))
                for alias, kind, name in found
            ]
        )

    async def delete_identity_provider(self, alias: str) -> None:
        realms = self._realms(_NO_IDENTITY_PROVIDERS)
        slug = (await self._row()).slug
        await asyncio.to_thread(realms.delete_identity_provider, slug, alias)
