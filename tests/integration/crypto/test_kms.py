"""Tenant keys in the real Vault-API server (OpenBao), reached as the api's AppRole: data keys,
rotation with re-wrapping, the minimum decryption version, crypto-shredding, and the policy's walls."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import hvac
import pytest
from hvac import exceptions as vault_errors

from enclave.crypto.kms import KeyUnusable, KmsUnavailable, TenantKeys, key_name, wrapped_version
from enclave.settings import TLSSettings, VaultSettings
from tests.integration.stack import Stack


@pytest.fixture
def keys(stack: Stack) -> TenantKeys:
    settings = VaultSettings(token_file=None)  # the api's AppRole, not the root token
    assert settings.role_id_file is not None
    return TenantKeys(settings, TLSSettings())


@pytest.fixture
def org(keys: TenantKeys) -> Iterator[uuid.UUID]:
    organization_id = uuid.uuid4()
    keys.ensure_key(organization_id)
    yield organization_id
    keys.destroy(organization_id)


class TestTenantKeys:
    def test_a_data_key_unwraps_to_itself(self, keys: TenantKeys, org: uuid.UUID) -> None:
        data_key = keys.new_data_key(org)
        assert len(data_key.plaintext) == 32
        assert data_key.wrapped.startswith("vault:v1:")
        assert data_key.plaintext.hex() not in repr(data_key)
        keys.cache.forget(org)
        assert keys.unwrap(org, data_key.wrapped) == data_key.plaintext  # from Vault, not the cache
        assert keys.unwrap(org, data_key.wrapped) == data_key.plaintext  # now cached

    def test_ensure_is_idempotent(self, keys: TenantKeys, org: uuid.UUID) -> None:
        keys.ensure_key(org)
        assert keys.key_info(org)["latest_version"] == 1

    def test_another_tenants_key_cannot_unwrap(self, keys: TenantKeys, org: uuid.UUID) -> None:
        other = uuid.uuid4()
        keys.ensure_key(other)
        try:
            wrapped = keys.new_data_key(org).wrapped
            with pytest.raises(KeyUnusable):
                keys.unwrap(other, wrapped)
        finally:
            keys.destroy(other)

    def test_rotation_rewraps_and_then_retires_the_old_version(
        self, keys: TenantKeys, org: uuid.UUID
    ) -> None:
        old = keys.new_data_key(org)
        assert keys.rotate(org) == 2
        rewrapped = keys.rewrap(org, old.wrapped)
        assert wrapped_version(rewrapped) == 2
        keys.set_min_decryption_version(org, 2)
        assert keys.unwrap(org, rewrapped) == old.plaintext  # the same data key, under the new version
        with pytest.raises(KeyUnusable):
            keys.unwrap(org, old.wrapped)  # the old version is no longer usable

    def test_destroying_the_key_shreds_every_data_key(self, keys: TenantKeys) -> None:
        organization_id = uuid.uuid4()
        keys.ensure_key(organization_id)
        wrapped = keys.new_data_key(organization_id).wrapped
        keys.destroy(organization_id)
        with pytest.raises(KeyUnusable):
            keys.unwrap(organization_id, wrapped)
        keys.destroy(organization_id)  # idempotent

    def test_garbage_is_not_a_wrapped_key(self, keys: TenantKeys, org: uuid.UUID) -> None:
        for wrapped in ("", "vault:", "vault:vx:abc", "plain:v1:abc", "vault:v1:"):
            with pytest.raises(KeyUnusable):
                keys.unwrap(org, wrapped)

    def test_an_unreachable_vault_fails_closed(self, stack: Stack) -> None:
        settings = VaultSettings(url="https://localhost:1", token_file=None)
        with pytest.raises(KmsUnavailable):
            TenantKeys(settings, TLSSettings()).new_data_key(uuid.uuid4())


class TestAppRolePolicy:
    def test_the_api_role_reaches_only_tenant_keys(
        self, stack: Stack, keys: TenantKeys, org: uuid.UUID
    ) -> None:
        client = hvac.Client(url=stack.env["ENCLAVE_VAULT_URL"], verify=stack.ca_file)
        client.auth.approle.login(
            role_id=stack.secret("ENCLAVE_VAULT_ROLE_ID_FILE"),
            secret_id=stack.secret("ENCLAVE_VAULT_SECRET_ID_FILE"),
        )
        assert client.secrets.transit.read_key(name=key_name(org))["data"]["type"] == "aes256-gcm96"
        with pytest.raises(vault_errors.Forbidden):
            client.secrets.transit.create_key(name="not-a-tenant-key")
        with pytest.raises(vault_errors.Forbidden):
            client.sys.list_mounted_secrets_engines()
        with pytest.raises(vault_errors.Forbidden):
            client.sys.enable_auth_method("userpass", path=f"p-{uuid.uuid4().hex[:6]}")
