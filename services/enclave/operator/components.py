"""The services an Organization is made of, as the operator reaches them: PostgreSQL, the KMS (a
Vault-API server), Keycloak and the object store.

Owns building their clients once per process from the installation's settings (the same variables as
the api's), probing each before anything is made (so a component that is down stops a create before
it starts, and the condition names it), and turning each client's "unreachable" error into one
:class:`ComponentDown` that names the component. Must never put a secret or a component's own error
text in a message: messages come from the fixed wording here.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import httpx
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from minio import Minio, MinioAdmin
from minio.credentials.providers import StaticProvider
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from enclave.crypto.kms import KmsUnavailable, TenantKeys
from enclave.crypto.vault import TransitClient, VaultUnreachable
from enclave.db.engine import create_engine
from enclave.db.repositories.health import ping
from enclave.db.session import session_factory
from enclave.identity.keycloak_admin import KeycloakRequestFailed, RealmAdmin, admin_from_settings
from enclave.identity.realms import RealmService
from enclave.operator import constants as c
from enclave.operator.desired import vault_settings
from enclave.operator.kube import SecretName
from enclave.operator.spec import KmsSpec, OrganizationSpec
from enclave.operator.tenant_policy import TenantPolicies
from enclave.settings import (
    AuditSettings,
    DatabaseSettings,
    KeycloakSettings,
    S3Settings,
    TLSSettings,
    VaultSettings,
    read_secret,
)
from enclave.storage.connection import https_pool, s3_client
from enclave.storage.objects import StorageUnavailable

PROBE_TIMEOUT_S: Final = 5.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Component:
    name: str  # shown in messages
    condition: str  # the condition that reports it


DATABASE: Final = Component("PostgreSQL", c.DATABASE)
KMS: Final = Component("the KMS (Vault)", c.KEY)
KEYCLOAK: Final = Component("Keycloak", c.REALM)
OBJECT_STORE: Final = Component("the object store (MinIO)", c.STORAGE)


class ComponentDown(Exception):
    """A component cannot be reached; nothing that needs it was made. Retry later."""

    def __init__(self, component: Component, why: str = "unreachable") -> None:
        super().__init__(f"{component.name[:1].upper()}{component.name[1:]} is {why}.")
        self.component = component


#: The errors by which each client says "cannot reach it now" (never "no").
DATABASE_DOWN: Final = (OperationalError, InterfaceError, DBAPIError, OSError, TimeoutError)


def describe(error: BaseException) -> str:
    """A fixed, short description of why a probe failed; never the exception's text."""
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "not answering (timed out)"
    if isinstance(error, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in repr(error):
        return "failing TLS verification"
    if isinstance(error, httpx.ConnectError | ConnectionError):
        return "unreachable (connection refused)"
    return "unreachable"


class Components:
    """The clients, built once; Keycloak's admin session is opened on first use (it may be down when
    the operator starts)."""

    def __init__(self, credentials_copy: SecretName | None = None) -> None:
        #: Where the api and worker find each own bucket's credentials (the operator copies them there).
        self.credentials_copy = credentials_copy
        self.tls = TLSSettings()
        self.vault = VaultSettings()
        self.s3 = S3Settings()
        self.keycloak = KeycloakSettings()
        self.engine = create_engine(DatabaseSettings(), self.tls, application_name="enclave-operator")
        self.sessions = session_factory(self.engine)
        audit = AuditSettings()
        self._event_reader = audit.keycloak_client_id
        self._event_reader_secret = audit.keycloak_client_secret_file
        self._admin: KeycloakAdmin | None = None
        self._realms: RealmService | None = None
        self._keys: dict[tuple[str, str], TenantKeys] = {}
        self._policies: dict[tuple[str, str], TenantPolicies] = {}
        self._pool = https_pool(self.tls)
        self._http = httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=str(self.tls.ca_file)), timeout=PROBE_TIMEOUT_S
        )

    async def close(self) -> None:
        await self._http.aclose()
        await self.engine.dispose()

    def realms(self) -> RealmService:
        """Keycloak's admin side (blocking calls: run them in a thread)."""
        if self._realms is None:
            self._realms = RealmService(self._keycloak_admin(), event_reader=self._event_reader)
        return self._realms

    def event_reader_secret(self) -> str | None:
        """The audit service's client secret, where the operator is to keep that client in Keycloak
        (a cluster: the chart generated it); None where another does (the local stack's script)."""
        return read_secret(self._event_reader_secret) if self._event_reader_secret else None

    def realm_admin(self, realm: str) -> RealmAdmin:
        """Admin calls on one organization realm (blocking)."""
        return RealmAdmin(self._keycloak_admin(), realm)

    def _keycloak_admin(self) -> KeycloakAdmin:
        if self._admin is None:
            try:
                self._admin = admin_from_settings(self.keycloak, self.tls)
            except KeycloakError as error:
                raise ComponentDown(KEYCLOAK) from error
        return self._admin

    def keys(self, kms: KmsSpec) -> TenantKeys:
        """The tenant keys of the organization's KMS (blocking calls: run them in a thread)."""
        settings = vault_settings(self.vault, kms)
        target = (settings.url, settings.transit_mount)
        if target not in self._keys:
            self._keys[target] = TenantKeys(settings, self.tls)
        return self._keys[target]

    def policies(self, kms: KmsSpec) -> TenantPolicies:
        """The tenant policies of the organization's KMS (blocking calls: run them in a thread)."""
        settings = vault_settings(self.vault, kms)
        target = (settings.url, settings.transit_mount)
        if target not in self._policies:
            client = TransitClient(
                settings.url,
                self.tls,
                settings.transit_mount,
                role_id_file=settings.role_id_file,
                secret_id_file=settings.secret_id_file,
                token_file=settings.token_file,
            )
            self._policies[target] = TenantPolicies(client)
        return self._policies[target]

    def minio(self) -> Minio:
        """A client of the installation's object store, with its credentials (blocking)."""
        return s3_client(
            self._pool,
            self.s3.endpoint,
            self.s3.region,
            read_secret(self.s3.access_key_file),
            read_secret(self.s3.secret_key_file),
        )

    def minio_admin(self) -> MinioAdmin:
        """The object store's admin API, as the installation's S3 identity (blocking)."""
        return MinioAdmin(
            endpoint=self.s3.endpoint.removeprefix("https://"),
            credentials=StaticProvider(
                read_secret(self.s3.access_key_file), read_secret(self.s3.secret_key_file)
            ),
            region=self.s3.region,
            secure=True,
            http_client=self._pool,
        )

    def customer_s3(self, endpoint: str, region: str, access_key: str, secret_key: str) -> Minio:
        return s3_client(self._pool, endpoint, region, access_key, secret_key)

    # -- probes: one round trip each, before anything is made ----------------------------------

    async def _get_ok(self, url: str, accepted: tuple[int, ...] = (200,)) -> None:
        response = await self._http.get(url)
        if response.status_code not in accepted:
            raise ConnectionError(f"answered {response.status_code}")

    async def _probe_database(self) -> None:
        async with self.engine.connect() as connection:
            await ping(connection)

    async def probe(self, spec: OrganizationSpec) -> list[ComponentDown]:
        """Every component the organization needs that does not answer now (empty: all do)."""
        kms_url = vault_settings(self.vault, spec.kms).url
        checks: list[tuple[Component, Callable[[], Awaitable[None]]]] = [
            (DATABASE, self._probe_database),
            # 200 active, 429 a standby that forwards: both serve transit requests.
            (KMS, lambda: self._get_ok(f"{kms_url}/v1/sys/health", (200, 429))),
            (
                KEYCLOAK,
                lambda: self._get_ok(f"{self.keycloak.url}/realms/master/.well-known/openid-configuration"),
            ),
        ]
        if spec.storage.mode == "Managed":
            checks.append((OBJECT_STORE, lambda: self._get_ok(f"{self.s3.endpoint}/minio/health/ready")))
        results = await asyncio.gather(
            *(asyncio.wait_for(check(), PROBE_TIMEOUT_S) for _, check in checks), return_exceptions=True
        )
        down = []
        for (component, _), result in zip(checks, results, strict=True):
            if isinstance(result, BaseException):
                down.append(ComponentDown(component, describe(result)))
        return down


async def guarded_thread(component: Component, call: Callable[[], T]) -> T:
    """Runs a blocking client call in a thread; its client's "unreachable" error becomes
    :class:`ComponentDown` for ``component``."""
    try:
        return await asyncio.to_thread(call)
    except (KmsUnavailable, VaultUnreachable) as error:
        raise ComponentDown(component) from error
    except StorageUnavailable as error:
        raise ComponentDown(component) from error
    except KeycloakRequestFailed as error:
        if error.status is None or error.status >= 500:
            raise ComponentDown(component) from error
        raise
    except KeycloakError as error:  # python-keycloak's own (signing in, refreshing its token)
        raise ComponentDown(component) from error
