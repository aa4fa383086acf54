"""An organization's identity provider as a Keycloak representation: what the admin gives is checked,
what security needs is Enclave's and cannot be given, and the secret never shows."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from enclave.identity.brokering import (
    FIRST_BROKER_LOGIN_FLOW,
    IDP_SYNC_MODE,
    NAMEID_EMAIL,
    NAMEID_PERSISTENT,
    IdentityProviderSpec,
    build_identity_provider,
    build_identity_provider_mappers,
    check_identity_provider_alias,
)
from enclave.identity.keycloak_admin import IdentityProviderInvalid

ISSUER = "https://login.partner.example/realms/staff"
SECRET = "a-client-secret-that-must-never-show"
CERT = base64.b64encode(b"not really DER, but base64").decode()

OIDC = IdentityProviderSpec(
    alias="partner-oidc",
    kind="oidc",
    display_name="Partner",
    config={
        "issuer": ISSUER,
        "authorizationUrl": f"{ISSUER}/protocol/openid-connect/auth",
        "tokenUrl": f"{ISSUER}/protocol/openid-connect/token",
        "jwksUrl": f"{ISSUER}/protocol/openid-connect/certs",
        "userInfoUrl": f"{ISSUER}/protocol/openid-connect/userinfo",
        "clientId": "enclave",
        "clientSecret": SECRET,
    },
)
SAML = IdentityProviderSpec(
    alias="vendor-saml",
    kind="saml",
    display_name="Vendor",
    config={
        "idpEntityId": "https://idp.vendor.example/metadata",
        "singleSignOnServiceUrl": "https://idp.vendor.example/sso",
        "signingCertificate": CERT,
    },
)


def with_config(spec: IdentityProviderSpec, **changes: str) -> IdentityProviderSpec:
    return replace(spec, config={**spec.config, **changes})


def without(spec: IdentityProviderSpec, key: str) -> IdentityProviderSpec:
    return replace(spec, config={k: v for k, v in spec.config.items() if k != key})


class TestBuildIdentityProvider:
    @pytest.mark.parametrize("spec", [OIDC, SAML], ids=["oidc", "saml"])
    def test_common_fields(self, spec: IdentityProviderSpec) -> None:
        built = build_identity_provider(spec)
        assert built["alias"] == spec.alias
        assert built["providerId"] == spec.kind
        assert built["displayName"] == spec.display_name
        assert built["enabled"] is True
        # The api links a first sign-in by verified e-mail: the admin vouches for the provider's addresses.
        assert built["trustEmail"] is True
        assert (built["storeToken"], built["linkOnly"], built["addReadTokenRoleOnCreate"]) == (
            False,
            False,
            False,
        )
        assert built["firstBrokerLoginFlowAlias"] == FIRST_BROKER_LOGIN_FLOW
        assert built["config"]["syncMode"] == IDP_SYNC_MODE in {"IMPORT", "FORCE"}

    def test_oidc(self) -> None:
        config = build_identity_provider(OIDC)["config"]
        assert config == {
            **OIDC.config,
            "validateSignature": "true",
            "useJwksUrl": "true",
            "pkceEnabled": "true",
            "pkceMethod": "S256",
            "clientAuthMethod": "client_secret_post",
            "defaultScope": "openid email profile",
            "syncMode": IDP_SYNC_MODE,
        }

    def test_saml_defaults(self) -> None:
        config = build_identity_provider(SAML)["config"]
        assert config == {
            **SAML.config,
            "validateSignature": "true",
            "wantAssertionsSigned": "true",
            "signatureAlgorithm": "RSA_SHA256",
            "postBindingAuthnRequest": "true",
            "postBindingResponse": "true",
            "postBindingLogout": "true",
            "principalType": "SUBJECT",
            "allowCreate": "true",
            "nameIDPolicyFormat": NAMEID_PERSISTENT,
            "wantAuthnRequestsSigned": "true",
            "syncMode": IDP_SYNC_MODE,
        }

    def test_saml_choices(self) -> None:
        spec = with_config(SAML, nameIDPolicyFormat=NAMEID_EMAIL, wantAuthnRequestsSigned="false")
        config = build_identity_provider(spec)["config"]
        assert (config["nameIDPolicyFormat"], config["wantAuthnRequestsSigned"]) == (NAMEID_EMAIL, "false")

    def test_saml_certificates_pem_or_base64_several(self) -> None:
        pem = f"-----BEGIN CERTIFICATE-----\n{CERT[:20]}\n{CERT[20:]}\n-----END CERTIFICATE-----\n"
        config = build_identity_provider(with_config(SAML, signingCertificate=f"{pem},{CERT}"))["config"]
        assert config["signingCertificate"] == f"{CERT},{CERT}"

    @pytest.mark.parametrize(
        ("spec", "key"),
        [
            (with_config(OIDC, validateSignature="false"), "validateSignature"),
            (with_config(OIDC, pkceEnabled="false"), "pkceEnabled"),
            (with_config(OIDC, clientAuthMethod="client_secret_basic"), "clientAuthMethod"),
            (with_config(OIDC, syncMode="LEGACY"), "syncMode"),
            (with_config(SAML, validateSignature="false"), "validateSignature"),
            (with_config(SAML, wantAssertionsSigned="false"), "wantAssertionsSigned"),
            (with_config(SAML, postBindingResponse="false"), "postBindingResponse"),
            (with_config(SAML, clientSecret="x"), "clientSecret"),
            (with_config(OIDC, idpEntityId="x"), "idpEntityId"),
        ],
    )
    def test_enclaves_settings_and_unknown_keys_cannot_be_given(
        self, spec: IdentityProviderSpec, key: str
    ) -> None:
        with pytest.raises(IdentityProviderInvalid, match=key):
            build_identity_provider(spec)

    @pytest.mark.parametrize(
        ("spec", "key"),
        [
            *[
                (without(OIDC, key), key)
                for key in ("issuer", "authorizationUrl", "tokenUrl", "jwksUrl", "clientId")
            ],
            *[
                (without(SAML, key), key)
                for key in ("idpEntityId", "singleSignOnServiceUrl", "signingCertificate")
            ],
            (with_config(OIDC, clientId="  "), "clientId"),
        ],
    )
    def test_required_settings(self, spec: IdentityProviderSpec, key: str) -> None:
        with pytest.raises(IdentityProviderInvalid, match=f"{key} is required"):
            build_identity_provider(spec)

    @pytest.mark.parametrize("spec", [without(OIDC, "clientSecret"), with_config(OIDC, clientSecret=" ")])
    def test_the_secret_may_be_left_out_of_an_update(self, spec: IdentityProviderSpec) -> None:
        assert "clientSecret" not in build_identity_provider(spec)["config"]

    @pytest.mark.parametrize(
        ("spec", "key"),
        [
            (with_config(OIDC, tokenUrl="http://login.partner.example/token"), "tokenUrl"),
            (with_config(OIDC, jwksUrl="ftp://login.partner.example/certs"), "jwksUrl"),
            (
                with_config(SAML, singleSignOnServiceUrl="http://idp.vendor.example/sso"),
                "singleSignOnServiceUrl",
            ),
        ],
    )
    def test_only_https_urls(self, spec: IdentityProviderSpec, key: str) -> None:
        with pytest.raises(IdentityProviderInvalid, match=f"{key} must be an https URL"):
            build_identity_provider(spec)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"signingCertificate": "not a certificate!"}, "signingCertificate"),
            (
                {"nameIDPolicyFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
                "nameIDPolicyFormat",
            ),
            ({"wantAuthnRequestsSigned": "yes"}, "wantAuthnRequestsSigned"),
        ],
    )
    def test_saml_values_are_checked(self, changes: dict[str, str], message: str) -> None:
        with pytest.raises(IdentityProviderInvalid, match=message):
            build_identity_provider(with_config(SAML, **changes))

    @pytest.mark.parametrize("alias", ["", "Partner", "partner_oidc", "-x", "x-", "a/b", "..", "a" * 64])
    def test_alias_is_a_path_segment_token(self, alias: str) -> None:
        with pytest.raises(IdentityProviderInvalid, match="alias"):
            build_identity_provider(replace(OIDC, alias=alias))
        with pytest.raises(IdentityProviderInvalid):
            check_identity_provider_alias(alias)

    def test_kind_and_display_name(self) -> None:
        with pytest.raises(IdentityProviderInvalid, match="kind"):
            build_identity_provider(replace(OIDC, kind="ldap"))  # type: ignore[arg-type]
        with pytest.raises(IdentityProviderInvalid, match="display name"):
            build_identity_provider(replace(OIDC, display_name="  "))

    def test_pure(self) -> None:
        before = dict(SAML.config)
        build_identity_provider(with_config(SAML, signingCertificate=f" {CERT}\n"))
        assert before == SAML.config
        assert build_identity_provider(OIDC) == build_identity_provider(OIDC)


class TestSecretStaysHidden:
    def test_repr(self) -> None:
        assert SECRET not in repr(OIDC)
        assert "clientSecret" in repr(OIDC)
        assert OIDC.config["clientId"] in repr(OIDC)

    @pytest.mark.parametrize(
        "spec",
        [
            with_config(OIDC, tokenUrl="http://x.example/"),
            with_config(OIDC, validateSignature="false"),
            without(OIDC, "issuer"),
            replace(OIDC, alias="Bad"),
        ],
    )
    def test_errors(self, spec: IdentityProviderSpec) -> None:
        with pytest.raises(IdentityProviderInvalid) as raised:
            build_identity_provider(spec)
        assert SECRET not in str(raised.value)


class TestMappers:
    @staticmethod
    def by_name(spec: IdentityProviderSpec) -> dict[str, dict[str, Any]]:
        mappers = build_identity_provider_mappers(spec)
        assert all(mapper["identityProviderAlias"] == spec.alias for mapper in mappers)
        assert all(mapper["config"]["syncMode"] == "INHERIT" for mapper in mappers)
        return {mapper["name"]: mapper for mapper in mappers}

    def test_oidc_claims(self) -> None:
        mappers = self.by_name(OIDC)
        imported = {
            mappers[name]["config"]["user.attribute"]: mappers[name]["config"]["claim"]
            for name in ("email", "firstName", "lastName")
        }
        assert imported == {"email": "email", "firstName": "given_name", "lastName": "family_name"}
        assert {mappers[name]["identityProviderMapper"] for name in imported} == {
            "oidc-user-attribute-idp-mapper"
        }
        assert mappers["username"]["identityProviderMapper"] == "oidc-username-idp-mapper"
        assert mappers["username"]["config"]["template"] == "${ALIAS}.${CLAIM.sub}"

    def test_saml_attributes(self) -> None:
        mappers = self.by_name(SAML)
        imported = {
            mappers[name]["config"]["user.attribute"]: mappers[name]["config"]["attribute.name"]
            for name in ("email", "firstName", "lastName")
        }
        assert imported == {"email": "email", "firstName": "firstName", "lastName": "lastName"}
        assert {mappers[name]["identityProviderMapper"] for name in imported} == {
            "saml-user-attribute-idp-mapper"
        }
        assert mappers["username"]["identityProviderMapper"] == "saml-username-idp-mapper"
        assert mappers["username"]["config"]["template"] == "${ALIAS}.${NAMEID}"
