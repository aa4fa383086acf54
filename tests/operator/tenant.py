"""What really exists of an organization in each component, read past the operator: its database row
(as the api's role, bound to the tenant), its transit key in OpenBao, its realm, admin user and identity
provider in Keycloak, and its bucket in MinIO."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import hvac
import urllib3
from minio import Minio, MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException

from enclave.crypto.kms import KeyUnusable, TenantKeys
from enclave.db.engine import create_engine
from enclave.db.repositories.organizations import DirectoryRepository, OrganizationRepository
from enclave.db.session import bind_tenant, session_factory
from enclave.identity.keycloak_admin import RealmAdmin, admin_from_settings
from enclave.settings import DatabaseSettings, KeycloakSettings, TLSSettings, VaultSettings, read_secret
from enclave.storage.objects import bucket_name
from tests.integration.domain.world import sql_as_tenant
from tests.integration.stack import Stack
from tests.support.minio import raw_minio


async def _row(slug: str) -> dict[str, Any] | None:
    engine = create_engine(DatabaseSettings(), TLSSettings(), application_name="enclave-operator-tests")
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            organization_id = await DirectoryRepository(session).organization_of(slug)
        if organization_id is None:
            return None
        async with sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            row = await OrganizationRepository(session, organization_id).get()
            if row is None:
                return None
            return {
                "id": row.id,
                "name": row.name,
                "workforce": row.workforce,
                "settings": dict(row.settings or {}),
                "terminated_at": row.terminated_at,
                "shred_after": row.shred_after,
                "shredded_at": row.shredded_at,
                "storage_endpoint": row.storage_endpoint,
                "storage_bucket": row.storage_bucket,
                "kms_address": row.kms_address,
                "kms_mount": row.kms_mount,
            }
    finally:
        await engine.dispose()


def organization_row(slug: str) -> dict[str, Any] | None:
    """The organization's row (None if no organization has this slug)."""
    return asyncio.run(_row(slug))


def admin_id(organization_id: uuid.UUID) -> uuid.UUID:
    """The user id of the organization's first admin (the one the operator made)."""
    rows = sql_as_tenant(organization_id, "SELECT user_id FROM org_memberships WHERE role = 'admin'")
    assert len(rows) == 1, rows
    return uuid.UUID(str(rows[0][0]))


def root_vault() -> hvac.Client:
    """OpenBao as its root (the test's view of what the operator made), never the operator's rights."""
    settings = VaultSettings()
    assert settings.token_file is not None
    return hvac.Client(
        url=settings.url, token=read_secret(settings.token_file), verify=str(TLSSettings().ca_file)
    )


def tenant_policy(organization_id: str | uuid.UUID) -> str | None:
    """The organization's own Vault policy's text (None if there is none)."""
    name = f"enclave-tenant-{uuid.UUID(str(organization_id)).hex}"
    try:
        return str(root_vault().sys.read_acl_policy(name)["data"]["policy"])
    except hvac.exceptions.InvalidPath:
        return None


def token_with_tenant_policy(organization_id: str | uuid.UUID) -> hvac.Client:
    """A client whose token holds the organization's policy and nothing else (not even default)."""
    root = root_vault()
    name = f"enclave-tenant-{uuid.UUID(str(organization_id)).hex}"
    token = root.auth.token.create(policies=[name], no_default_policy=True, ttl="5m")["auth"]["client_token"]
    return hvac.Client(url=root.url, token=token, verify=str(TLSSettings().ca_file))


def key_exists(organization_id: str | uuid.UUID) -> bool:
    try:
        TenantKeys(VaultSettings(), TLSSettings()).key_info(uuid.UUID(str(organization_id)))
    except KeyUnusable:
        return False
    return True


def realm_api(slug: str) -> RealmAdmin:
    return RealmAdmin(admin_from_settings(KeycloakSettings(), TLSSettings()), slug)


def master_api() -> RealmAdmin:
    """Keycloak's master realm, as the installation's admin (the tests' view of the audit client)."""
    return RealmAdmin.master(admin_from_settings(KeycloakSettings(), TLSSettings()))


def realm(slug: str) -> dict[str, Any] | None:
    """The realm's representation (None if there is no such realm)."""
    api = realm_api(slug)
    return api.get() if api.exists() else None


def realm_user(slug: str, email: str) -> dict[str, Any] | None:
    users = realm_api(slug).get("/users", email=email, exact="true")
    return users[0] if users else None


def identity_provider(slug: str, alias: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = realm_api(slug).find(f"/identity-provider/instances/{alias}")
    return found


def mfa_required(slug: str) -> bool:
    return bool(realm_api(slug).get("/authentication/required-actions/CONFIGURE_TOTP").get("defaultAction"))


def bucket_exists(stack: Stack, organization_id: str | uuid.UUID) -> bool:
    return bool(raw_minio(stack).bucket_exists(bucket_name(uuid.UUID(str(organization_id)))))


def minio_admin(stack: Stack) -> MinioAdmin:
    return MinioAdmin(
        endpoint=stack.env["ENCLAVE_S3_ENDPOINT"].removeprefix("https://"),
        credentials=StaticProvider(
            stack.secret("ENCLAVE_S3_ACCESS_KEY_FILE"), stack.secret("ENCLAVE_S3_SECRET_KEY_FILE")
        ),
        secure=True,
        http_client=urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=stack.ca_file, timeout=10),
    )


def service_account_exists(stack: Stack, access_key: str) -> bool:
    try:
        minio_admin(stack).get_service_account(access_key)
    except MinioAdminException:
        return False
    return True


def s3_as(stack: Stack, access_key: str, secret_key: str) -> Minio:
    """A client of the stack's MinIO signed in with an organization's own credentials."""
    return Minio(
        stack.env["ENCLAVE_S3_ENDPOINT"].removeprefix("https://"),
        access_key=access_key,
        secret_key=secret_key,
        secure=True,
        http_client=urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_certs=stack.ca_file, timeout=10, retries=False
        ),
    )


def remove_realm(slug: str) -> None:
    realm_api(slug).delete()
