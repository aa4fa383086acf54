"""The desired state the operator builds from a spec: pure functions, no cluster."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from enclave.db.repositories.organizations import CustomerBucket
from enclave.domain.roles import OrgRole
from enclave.operator import desired
from enclave.operator.spec import KmsSpec, OrganizationSpec, SpecInvalid, SsoSpec, parse_spec
from enclave.settings import VaultSettings


def spec(**extra: object) -> OrganizationSpec:
    return parse_spec(
        {
            "displayName": "Acme",
            "slug": "acme",
            "admin": {"email": "a@acme.example", "displayName": "Ann Admin"},
            **extra,
        }
    )


class TestOrganizationSettings:
    def test_matches_what_the_api_writes(self) -> None:
        wanted = desired.organization_settings(
            parse_spec(
                {
                    "displayName": "Acme",
                    "slug": "acme",
                    "admin": {"email": "a@acme.example", "displayName": "Ann"},
                    "mfaRequired": True,
                    "retentionDays": 7,
                    "emailDomains": [{"domain": "acme.example", "role": "member"}],
                }
            )
        )
        assert wanted == {
            "mfa_required": True,
            "retention_days": 7,
            "domain_roles": {"acme.example": "member"},
        }

    def test_row_in_line_has_no_changes(self) -> None:
        parsed = spec()
        current = desired.organization_settings(parsed)
        assert desired.row_changes("Acme", False, current, parsed) == {}

    def test_a_new_row_with_empty_settings_gets_them(self) -> None:
        # provision_organization stores {}: the defaults, so only a non-default spec differs.
        assert desired.row_changes("Acme", False, {}, spec()) == {}
        changes = desired.row_changes("Acme", False, {}, spec(mfaRequired=True))
        assert changes == {"settings": {"mfa_required": True, "retention_days": 30, "domain_roles": {}}}

    def test_names_each_changed_column(self) -> None:
        changes = desired.row_changes("Old name", True, {"retention_days": 9}, spec())
        assert changes["name"] == "Acme"
        assert changes["workforce"] is False
        assert changes["settings"]["retention_days"] == 30


class TestRealmAndAdmin:
    def test_realm_spec_follows_the_api_url_and_mfa(self) -> None:
        realm = desired.realm_spec(spec(mfaRequired=True), "https://enclave.example")
        assert realm.slug == "acme"
        assert realm.mfa_required is True
        assert realm.redirect_uris == ["https://enclave.example/auth/callback"]

    @pytest.mark.parametrize(
        ("name", "split"), [("Ann Admin", ("Ann", "Admin")), ("Cher", ("Cher", "")), ("A B C", ("A", "B C"))]
    )
    def test_admin_names(self, name: str, split: tuple[str, str]) -> None:
        assert desired.admin_names(name) == split

    def test_admin_secret_belongs_to_its_organization(self) -> None:
        manifest = desired.admin_password_secret(
            resource_name="acme",
            namespace="tenants",
            uid="u-1",
            slug="acme",
            email="a@acme.example",
            password="pw",
        )
        assert manifest["metadata"]["name"] == "acme-admin-initial-password"
        assert manifest["metadata"]["namespace"] == "tenants"
        owner = manifest["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["uid"]) == ("Organization", "acme", "u-1")
        assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "enclave-operator"
        assert manifest["stringData"] == {"email": "a@acme.example", "password": "pw"}


class TestIdentityProvider:
    def test_inline_metadata(self) -> None:
        sso = SsoSpec("corp", "saml", "Corp", {"idpEntityId": "https://idp"}, None)
        provider = desired.identity_provider(sso, None)
        assert (provider.alias, provider.kind, provider.config) == (
            "corp",
            "saml",
            {"idpEntityId": "https://idp"},
        )

    def test_settings_from_the_secret(self) -> None:
        sso = SsoSpec("corp", "oidc", "Corp", None, "corp-oidc")
        provider = desired.identity_provider(sso, {"clientId": "x", "clientSecret": "very-secret"})
        assert provider.config["clientSecret"] == "very-secret"
        assert "very-secret" not in repr(provider)

    def test_a_missing_secret_is_named(self) -> None:
        with pytest.raises(SpecInvalid, match="corp-oidc"):
            desired.identity_provider(SsoSpec("corp", "oidc", "Corp", None, "corp-oidc"), None)


class TestKms:
    def test_defaults_to_the_installation(self) -> None:
        installation = VaultSettings(url="https://vault.local:8200")
        assert desired.vault_settings(installation, KmsSpec()) is installation
        assert desired.kms_target(installation, KmsSpec()) == ("https://vault.local:8200", "transit")

    def test_the_organizations_own_kms(self) -> None:
        installation = VaultSettings(url="https://vault.local:8200")
        own = desired.vault_settings(installation, KmsSpec("https://kms.customer", "tenants"))
        assert (own.url, own.transit_mount) == ("https://kms.customer", "tenants")
        assert installation.url == "https://vault.local:8200"


class TestRetentionAndSlugs:
    def test_shred_after_counts_retention_days(self) -> None:
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert desired.shred_after(at, 30, 86_400) == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
        assert desired.shred_after(at, 3, 1) == at + dt.timedelta(seconds=3)
        assert desired.shred_after(at, 0, 86_400) == at

    def test_the_oldest_claim_holds_a_slug(self) -> None:
        young = desired.SlugClaim("b", "acme", "uid-b", "2026-01-02T00:00:00Z")
        old = desired.SlugClaim("a", "acme", "uid-z", "2026-01-01T00:00:00Z")
        assert desired.slug_holder([young, old]) == old
        assert desired.slug_holder([]) is None
        twin = desired.SlugClaim("c", "acme", "uid-a", "2026-01-01T00:00:00Z")
        assert desired.slug_holder([old, twin]) == twin  # a tie goes to the lower uid, on every replica

    def test_existing_endpoints_must_be_allowed(self) -> None:
        assert desired.storage_endpoint_allowed("https://s3.example/", ["https://s3.example"])
        assert not desired.storage_endpoint_allowed("https://evil.example", ["https://s3.example"])


class TestHome:
    def test_a_managed_bucket_is_no_home_of_the_customer(self) -> None:
        assert desired.home(spec().storage) is None

    def test_an_existing_bucket_is_the_organization_home(self) -> None:
        existing = {
            "mode": "Existing",
            "bucket": "theirs",
            "endpoint": "https://s3.example/",
            "region": "eu-west-1",
            "credentialsSecret": {"name": "s3"},
        }
        assert desired.home(spec(storage=existing).storage) == CustomerBucket(
            "https://s3.example", "theirs", "eu-west-1"
        )

    def test_its_credentials_are_copied_under_the_organization_id(self) -> None:
        org = uuid.UUID("00000000-0000-0000-0000-0000000000ab")
        copied = desired.copied_credentials(org, "AK", "SK")
        assert sorted(copied) == [f"org-{org.hex}.access_key", f"org-{org.hex}.secret_key"]
        assert [copied[f"org-{org.hex}.{part}"] for part in ("access_key", "secret_key")] == ["AK", "SK"]


def test_org_role_values_match_the_crd_enum(repo_root: Path) -> None:
    crd = (repo_root / "charts/enclave/crds/organizations.enclave.dev.yaml").read_text()
    assert f"enum: [{', '.join(role.value for role in OrgRole)}]" in crd


class TestStorageCredentials:
    def test_the_policy_reaches_its_bucket_alone(self) -> None:
        policy = desired.bucket_policy("enclave-abc")
        resources = {resource for statement in policy["Statement"] for resource in statement["Resource"]}
        assert resources == {"arn:aws:s3:::enclave-abc", "arn:aws:s3:::enclave-abc/*"}
        actions = {action for statement in policy["Statement"] for action in statement["Action"]}
        assert not {action for action in actions if "Bucket" in action and "List" not in action} - {
            "s3:GetBucketLocation"
        }
        assert "s3:*" not in actions
        assert "s3:DeleteBucket" not in actions

    def test_policies_compare_as_sets(self) -> None:
        wanted = desired.bucket_policy("b-1")
        shuffled = {
            "Version": "2012-10-17",
            "Statement": [
                {**statement, "Action": sorted(statement["Action"], reverse=True)}
                for statement in reversed(wanted["Statement"])
            ],
        }
        assert desired.same_policy(shuffled, wanted)
        assert not desired.same_policy(desired.bucket_policy("b-2"), wanted)
        assert not desired.same_policy(None, wanted)

    def test_access_key_fits_minio(self) -> None:
        key = desired.storage_access_key(uuid.uuid4())
        assert 3 <= len(key) <= 20
        assert key.isalnum()
