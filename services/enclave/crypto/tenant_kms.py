"""Which KMS holds each organization's key: the installation's Vault-API server, or the customer's own
one (another address, another transit mount) the organization was made with (migration 0018).

Owns resolving that once per process per organization (it never changes) and one ``TenantKeys`` per
place. The customer's server must be one the installation allows (``ENCLAVE_VAULT_EXTERNAL_ENDPOINTS``)
and is signed in to with the organization's own AppRole, installed by name
(``org-<id hex>.vault_role_id`` and ``.vault_secret_id`` in ``ENCLAVE_VAULT_EXTERNAL_SECRETS_DIR``,
where the operator copies them). A place the installation cannot use is ``KmsUnavailable`` (a 503),
never a fallback to another KMS. Must never log or return a credential.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.crypto.kms import KmsUnavailable, TenantKeys
from enclave.db.repositories.organizations import OrganizationRepository, OwnKms
from enclave.db.session import bind_tenant
from enclave.settings import TLSSettings, VaultSettings


def credentials_name(organization_id: uuid.UUID) -> str:
    """The name an organization's own KMS credentials are installed under (as its bucket's are)."""
    return f"org-{organization_id.hex}"


class TenantKms:
    """Each organization's ``TenantKeys``: the installation's, or its own KMS's."""

    def __init__(
        self,
        installation: TenantKeys,
        settings: VaultSettings | None = None,
        tls: TLSSettings | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        """Without ``sessions`` every organization's key is in ``installation`` (the operator, which
        builds the one organization's keys itself, and tools)."""
        self.installation = installation
        self._settings, self._tls, self._sessions = settings, tls, sessions
        self._by_organization: dict[uuid.UUID, TenantKeys] = {}
        self._by_place: dict[tuple[str, str, str | None], TenantKeys] = {}

    @classmethod
    def of_installation(
        cls, settings: VaultSettings, tls: TLSSettings, sessions: async_sessionmaker[AsyncSession]
    ) -> TenantKms:
        """The installation's KMS, and each organization's own where its row names one."""
        return cls(TenantKeys(settings, tls), settings, tls, sessions)

    async def keys_for(self, organization_id: uuid.UUID) -> TenantKeys:
        known = self._by_organization.get(organization_id)
        if known is not None:
            return known
        if self._sessions is None:
            return self.installation
        async with self._sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            own = await OrganizationRepository(session, organization_id).kms()
        keys = self.installation if own is None else self._at(organization_id, own)
        self._by_organization[organization_id] = keys
        return keys

    def known(self, organization_id: uuid.UUID) -> TenantKeys | None:
        """The organization's keys if this process has resolved them (to forget cached data keys)."""
        return self._by_organization.get(organization_id)

    def _at(self, organization_id: uuid.UUID, own: OwnKms) -> TenantKeys:
        settings, tls = self._settings, self._tls
        if settings is None or tls is None:  # pragma: no cover - set whenever sessions are
            raise KmsUnavailable("The installation has no KMS settings.")
        update: dict[str, object] = {}
        name: str | None = None
        if own.address is not None and own.address.rstrip("/") != str(settings.url).rstrip("/"):
            allowed = {str(url).rstrip("/") for url in settings.external_endpoints}
            if own.address.rstrip("/") not in allowed:
                raise KmsUnavailable("The organization's KMS is not one the installation allows.")
            name = credentials_name(organization_id)
            role_id, secret_id = self._credentials(name)
            update = {
                "url": own.address,
                "role_id_file": role_id,
                "secret_id_file": secret_id,
            }  # an AppRole is signed in with before any token file (``enclave.crypto.vault``)
        if own.mount is not None:
            update["transit_mount"] = own.mount
        place = (
            str(update.get("url", settings.url)),
            str(update.get("transit_mount", settings.transit_mount)),
            name,
        )
        keys = self._by_place.get(place)
        if keys is None:
            keys = TenantKeys(settings.model_copy(update=update), tls)
            self._by_place[place] = keys
        return keys

    def _credentials(self, name: str) -> tuple[Path, Path]:
        folder = self._settings.external_secrets_dir if self._settings is not None else None
        files = (
            (folder / f"{name}.vault_role_id", folder / f"{name}.vault_secret_id")
            if folder is not None
            else None
        )
        if files is None or not all(path.is_file() for path in files):
            raise KmsUnavailable("No credentials for the organization's own KMS are installed.")
        return files
