"""The Organization spec as the operator reads it: defaults, and the checks that mirror the CRD's."""

from __future__ import annotations

from typing import Any

import pytest

from enclave.domain.roles import OrgRole
from enclave.operator.spec import SpecInvalid, parse_spec

#: The Secret naming another KMS's AppRole, in the spec of every field.
KMS_CREDENTIALS = "kms"


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "displayName": "St. Elsewhere Hospital",
        "slug": "st-elsewhere",
        "admin": {"email": "Ada@St-Elsewhere.Example", "displayName": "Ada Lovelace"},
        **extra,
    }


class TestParseSpec:
    def test_defaults(self) -> None:
        spec = parse_spec(minimal())
        assert spec.slug == "st-elsewhere"
        assert spec.admin_email == "ada@st-elsewhere.example"
        assert spec.workforce is False
        assert spec.mfa_required is False
        assert spec.retention_days == 30
        assert spec.sso is None
        assert spec.storage.mode == "Managed"
        assert spec.kms.address is None

    def test_every_field(self) -> None:
        spec = parse_spec(
            minimal(
                workforce=True,
                mfaRequired=True,
                retentionDays=0,
                emailDomains=[{"domain": "St-Elsewhere.example", "role": "tasker"}],
                sso={
                    "alias": "corp",
                    "kind": "saml",
                    "displayName": "Corporate",
                    "metadata": {"idpEntityId": "https://idp.example/x"},
                },
                kms={
                    "address": "https://vault.example:8200/",
                    "transitMount": "tenants",
                    "authRole": "enclave-api",
                    "credentialsSecret": {"name": KMS_CREDENTIALS},
                },
                storage={
                    "mode": "Existing",
                    "bucket": "hospital-data",
                    "endpoint": "https://s3.example/",
                    "credentialsSecret": {"name": "s3"},
                },
            )
        )
        assert spec.workforce is True
        assert spec.mfa_required is True
        assert spec.retention_days == 0
        assert spec.domain_roles == {"st-elsewhere.example": OrgRole.TASKER}
        assert spec.sso is not None
        assert spec.sso.metadata == {"idpEntityId": "https://idp.example/x"}
        assert spec.kms.address == "https://vault.example:8200"
        assert spec.kms.transit_mount == "tenants"
        assert spec.kms.credentials_secret == KMS_CREDENTIALS
        assert spec.storage.endpoint == "https://s3.example"
        assert spec.storage.credentials_secret == "s3"

    def test_another_kms_needs_the_credentials_to_sign_in_with(self) -> None:
        with pytest.raises(SpecInvalid, match="credentialsSecret"):
            parse_spec(minimal(kms={"address": "https://vault.example:8200"}))
        assert parse_spec(minimal(kms={"transitMount": "tenants"})).kms.credentials_secret is None

    @pytest.mark.parametrize("slug", ["master", "Upper", "-dash", "a" * 64, ""])
    def test_refuses_a_slug_that_cannot_name_a_realm(self, slug: str) -> None:
        with pytest.raises(SpecInvalid, match="slug"):
            parse_spec(minimal(slug=slug))

    def test_refuses_an_unknown_role(self) -> None:
        with pytest.raises(SpecInvalid, match="role"):
            parse_spec(minimal(emailDomains=[{"domain": "x.example", "role": "owner"}]))

    @pytest.mark.parametrize("days", [-1, 3651, "30", True])
    def test_refuses_a_bad_retention(self, days: Any) -> None:
        with pytest.raises(SpecInvalid, match="retentionDays"):
            parse_spec(minimal(retentionDays=days))

    def test_needs_an_admin(self) -> None:
        spec = minimal()
        del spec["admin"]
        with pytest.raises(SpecInvalid, match="admin"):
            parse_spec(spec)


SAML: dict[str, Any] = {"alias": "corp", "kind": "saml", "displayName": "Corp"}


class TestSso:
    def test_metadata_xor_secret(self) -> None:
        with pytest.raises(SpecInvalid, match="not both"):
            parse_spec(minimal(sso=SAML))
        with pytest.raises(SpecInvalid, match="not both"):
            parse_spec(minimal(sso={**SAML, "metadata": {}, "secretRef": {"name": "s"}}))

    def test_oidc_comes_from_a_secret(self) -> None:
        with pytest.raises(SpecInvalid, match="OIDC"):
            parse_spec(minimal(sso={**SAML, "kind": "oidc", "metadata": {"issuer": "https://i"}}))
        spec = parse_spec(minimal(sso={**SAML, "kind": "oidc", "secretRef": {"name": "corp-oidc"}}))
        assert spec.sso is not None
        assert spec.sso.secret_name == "corp-oidc"

    def test_a_client_secret_never_goes_inline(self) -> None:
        with pytest.raises(SpecInvalid, match="client secret"):
            parse_spec(minimal(sso={**SAML, "metadata": {"clientSecret": "s3cret"}}))


class TestStorage:
    def test_existing_needs_bucket_endpoint_and_credentials(self) -> None:
        with pytest.raises(SpecInvalid, match="Existing"):
            parse_spec(minimal(storage={"mode": "Existing", "bucket": "b-1"}))

    def test_managed_takes_no_bucket(self) -> None:
        with pytest.raises(SpecInvalid, match="Managed"):
            parse_spec(minimal(storage={"mode": "Managed", "bucket": "mine"}))

    def test_plaintext_endpoints_are_refused(self) -> None:
        with pytest.raises(SpecInvalid, match="https"):
            parse_spec(
                minimal(
                    storage={
                        "mode": "Existing",
                        "bucket": "b-1",
                        "endpoint": "http://s3.example",
                        "credentialsSecret": {"name": "s3"},
                    }
                )
            )
        with pytest.raises(SpecInvalid, match="https"):
            parse_spec(minimal(kms={"address": "http://vault.example"}))
