"""Where an organization's own KMS is, and with what it is signed in to: decided before any connection
(an address the installation does not allow, or credentials not installed, is an outage, never a
fallback); the installation's credentials serve only the installation's server. In memory: nothing
here connects."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from enclave.crypto.kms import KmsUnavailable, TenantKeys
from enclave.crypto.tenant_kms import TenantKms, credentials_name
from enclave.db.repositories.organizations import OwnKms
from enclave.settings import TLSSettings, VaultSettings

ORG = uuid.UUID("00000000-0000-0000-0000-0000000000aa")
OTHER = "https://vault.customer.example:8200"


def settings(folder: Path | None) -> VaultSettings:
    return VaultSettings.model_construct(
        url="https://openbao.internal:8200",
        token_file=None,
        role_id_file=Path(__file__),
        secret_id_file=Path(__file__),
        data_key_cache_size=8,
        data_key_cache_ttl_s=60.0,
        key_check_interval_s=2.0,
        transit_mount="transit",
        external_endpoints=[OTHER],
        external_secrets_dir=folder,
    )


def kms(folder: Path | None) -> TenantKms:
    tls = TLSSettings.model_construct(ca_file=Path(__file__))
    return TenantKms(TenantKeys(settings(folder), tls), settings(folder), tls)


def install(folder: Path) -> None:
    for part in ("vault_role_id", "vault_secret_id"):
        (folder / f"{credentials_name(ORG)}.{part}").write_text("x")


def test_another_server_is_signed_in_to_with_the_organizations_own_approle(tmp_path: Path) -> None:
    install(tmp_path)
    keys = kms(tmp_path)._at(ORG, OwnKms(OTHER, "tenants"))
    assert keys._settings.url == OTHER
    assert keys._settings.transit_mount == "tenants"
    assert keys._settings.role_id_file == tmp_path / f"org-{ORG.hex}.vault_role_id"
    assert keys._settings.secret_id_file == tmp_path / f"org-{ORG.hex}.vault_secret_id"


def test_another_mount_of_the_installations_server_keeps_its_credentials(tmp_path: Path) -> None:
    keys = kms(tmp_path)._at(ORG, OwnKms(None, "tenants"))
    assert keys._settings.url == "https://openbao.internal:8200"
    assert keys._settings.transit_mount == "tenants"
    assert keys._settings.role_id_file == Path(__file__)


def test_a_server_not_allowed_is_refused_before_any_credential_is_read(tmp_path: Path) -> None:
    install(tmp_path)
    with pytest.raises(KmsUnavailable, match="not one the installation allows"):
        kms(tmp_path)._at(ORG, OwnKms("https://vault.elsewhere.example", None))


@pytest.mark.parametrize("installed", ["nothing", "half"])
def test_without_its_credentials_it_is_an_outage(tmp_path: Path, installed: str) -> None:
    if installed == "half":
        (tmp_path / f"{credentials_name(ORG)}.vault_role_id").write_text("x")
    with pytest.raises(KmsUnavailable, match="No credentials"):
        kms(tmp_path)._at(ORG, OwnKms(OTHER, None))
    with pytest.raises(KmsUnavailable, match="No credentials"):
        kms(None)._at(ORG, OwnKms(OTHER, None))


def test_one_client_per_place(tmp_path: Path) -> None:
    install(tmp_path)
    resolver = kms(tmp_path)
    assert resolver._at(ORG, OwnKms(OTHER, "tenants")) is resolver._at(ORG, OwnKms(OTHER, "tenants"))
    assert resolver._at(ORG, OwnKms(OTHER, "tenants")) is not resolver._at(ORG, OwnKms(OTHER, "other"))


async def test_without_a_database_every_key_is_the_installations(tmp_path: Path) -> None:
    only = kms(tmp_path)
    alone = TenantKms(only.installation)
    assert await alone.keys_for(ORG) is only.installation
