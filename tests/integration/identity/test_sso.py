"""Single sign-on through an organization's own identity provider, against the real Keycloak.

A second realm of the same Keycloak acts as the company's OIDC provider, a third as its SAML
provider; :meth:`RealmService.ensure_identity_provider` connects both to the organization's realm,
and the organization maps e-mail domains to roles (``domain_roles``). A user signs in through the
api (``/auth/login?idp=<alias>``): the api sends the browser to the organization's realm, which goes
straight to the provider (``kc_idp_hint``), and the first sign-in makes them a member with the role
their domain maps to. Someone from an unmapped domain is refused and becomes nobody; a second
sign-in is the same member.

Every realm is named ``t-<hex>`` (organization), ``idp-oidc-<hex>`` or ``idp-saml-<hex>`` and is
deleted when the module ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin

from enclave.identity.brokering import IdentityProviderSpec
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.identity.session_auth import COOKIE
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support.keycloak_idp import (
    IDP_PASSWORD,
    IdpRealm,
    create_oidc_idp,
    create_saml_idp,
    delete_idp,
    realm_admin,
    signing_certificate,
)
from tests.support.keycloak_login import LoginFailed, login_via_form

HEX = uuid.uuid4().hex[:8]
OIDC_ALIAS = "partner-oidc"
SAML_ALIAS = "vendor-saml"
SPARE_ALIAS = "partner-oidc-spare"  # connected, then deleted, by one test
PARTNER = f"partner-{HEX}.example"
VENDOR = f"vendor-{HEX}.example"
ELSEWHERE = f"elsewhere-{HEX}.example"
DOMAIN_ROLES = {PARTNER: "tasker", VENDOR: "member"}

ALICE = f"alice@{PARTNER}"
BOB = f"bob@{VENDOR}"
CAROL = f"carol@{ELSEWHERE}"
DAVE = f"dave@{PARTNER}"  # signs in through the spare provider only


@dataclass(frozen=True)
class Sso:
    """The organization with both providers connected and its domains mapped."""

    org: Tenant
    org_admin: KeycloakAdmin  # scoped to the organization's realm
    oidc: IdpRealm
    saml: IdpRealm


# -- Fixtures (one organization and two providers for the whole module) ---------------------------


@pytest.fixture(scope="module")
def admin_api(api_url: str, stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, verify=stack.tls, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sso_org(admin_api: httpx.Client, api_url: str, realms: RealmService) -> Iterator[Tenant]:
    tenant = Tenant.create(admin_api)
    realms.ensure_realm(realm_spec_for(tenant.slug, f"Org {tenant.slug}", api_url))
    yield tenant
    realms.delete_realm(tenant.slug)


@pytest.fixture(scope="module")
def oidc_idp(stack: Stack, realms: RealmService, sso_org: Tenant) -> Iterator[IdpRealm]:
    redirect_uris = [realms.broker_endpoint(sso_org.slug, alias) for alias in (OIDC_ALIAS, SPARE_ALIAS)]
    idp = create_oidc_idp(stack, f"idp-oidc-{HEX}", redirect_uris=redirect_uris)
    try:
        idp.add_user(ALICE, "Alice", "Partner")
        idp.add_user(CAROL, "Carol", "Elsewhere")
        idp.add_user(DAVE, "Dave", "Partner")
        yield idp
    finally:
        delete_idp(idp)


@pytest.fixture(scope="module")
def saml_idp(stack: Stack, realms: RealmService, sso_org: Tenant) -> Iterator[IdpRealm]:
    # The broker's SAML service-provider entity id is Keycloak's default: the organization realm's
    # URL. Its requests are signed with the organization realm's key, which this provider requires.
    idp = create_saml_idp(
        stack,
        f"idp-saml-{HEX}",
        sp_entity_id=realms.issuer(sso_org.slug),
        acs_url=realms.broker_endpoint(sso_org.slug, SAML_ALIAS),
        sp_certificate=signing_certificate(realm_admin(stack, sso_org.slug)),
    )
    try:
        idp.add_user(BOB, "Bob", "Vendor")
        yield idp
    finally:
        delete_idp(idp)


@pytest.fixture(scope="module")
def sso(stack: Stack, realms: RealmService, sso_org: Tenant, oidc_idp: IdpRealm, saml_idp: IdpRealm) -> Sso:
    realms.ensure_identity_provider(sso_org.slug, oidc_spec(oidc_idp))
    realms.ensure_identity_provider(sso_org.slug, saml_spec(saml_idp))
    current = sso_org.call("GET", "/organization")
    assert current.status_code == 200, current.text
    body = {"settings": {"mfa_required": False, "retention_days": 30, "domain_roles": DOMAIN_ROLES}}
    changed = sso_org.call("PATCH", "/organization", json=body, headers={"If-Match": current.headers["etag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["domain_roles"] == DOMAIN_ROLES
    return Sso(sso_org, realm_admin(stack, sso_org.slug), oidc_idp, saml_idp)


def oidc_spec(idp: IdpRealm, alias: str = OIDC_ALIAS) -> IdentityProviderSpec:
    return IdentityProviderSpec(alias=alias, kind="oidc", display_name="Partner SSO", config=dict(idp.config))


def saml_spec(idp: IdpRealm) -> IdentityProviderSpec:
    return IdentityProviderSpec(
        alias=SAML_ALIAS, kind="saml", display_name="Vendor SSO", config=dict(idp.config)
    )


# -- Helpers -----------------------------------------------------------------------------------------


def api_browser(api_url: str, stack: Stack) -> httpx.Client:
    """A fresh browser for the api (no cookie yet)."""
    return httpx.Client(base_url=api_url, verify=stack.tls, timeout=30)


def sign_in_through(
    browser: httpx.Client, stack: Stack, org: Tenant, alias: str, email: str
) -> httpx.Response:
    """Signs ``email`` in through the provider ``alias`` (with a fresh Keycloak browser); returns the
    api's answer to the callback. ``browser`` keeps the session cookie, if one was set."""
    start = browser.get("/auth/login", params={"org": org.slug, "idp": alias, "next": "/projects"})
    assert start.status_code == 303, start.text
    assert f"kc_idp_hint={alias}" in start.headers["location"]
    with httpx.Client(verify=stack.tls, timeout=30) as keycloak:
        result = login_via_form(keycloak, start.headers["location"], email, IDP_PASSWORD)
    assert result.location.startswith(str(browser.base_url.join("/auth/callback?"))), result.location
    return browser.get(result.location)


def members_with(org: Tenant, email: str) -> list[dict[str, Any]]:
    page = org.ok("GET", "/members", params={"limit": 100})
    return [member for member in page["items"] if member["email"] == email]


def org_realm_user(sso: Sso, email: str) -> dict[str, Any]:
    found = [
        user for user in sso.org_admin.get_users({"email": email, "exact": True}) if user["email"] == email
    ]
    assert len(found) == 1, found
    return found[0]


# -- Tests ---------------------------------------------------------------------------------------------


class TestOidcProvider:
    def test_first_sign_in_joins_with_the_role_of_the_domain(
        self, sso: Sso, api_url: str, stack: Stack
    ) -> None:
        with api_browser(api_url, stack) as browser:
            done = sign_in_through(browser, stack, sso.org, OIDC_ALIAS, ALICE)
            assert done.status_code == 303, done.text
            assert done.headers["location"] == "/projects"
            assert f"{COOKIE}=" in done.headers["set-cookie"]
            me = browser.get("/api/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["email"] == ALICE
            assert me.json()["role"] == "tasker"
            assert me.json()["display_name"] == "Alice Partner"

        # Keycloak imported the user from the provider's claims (mappers), trusting the address.
        user = org_realm_user(sso, ALICE)
        assert (user["firstName"], user["lastName"], user["emailVerified"]) == ("Alice", "Partner", True)
        assert user["username"].startswith(f"{OIDC_ALIAS}.")
        links = sso.org_admin.get_user_social_logins(str(user["id"]))
        assert [link["identityProvider"] for link in links] == [OIDC_ALIAS]

    def test_an_unmapped_domain_is_refused_and_becomes_nobody(
        self, sso: Sso, api_url: str, stack: Stack
    ) -> None:
        with api_browser(api_url, stack) as browser:
            refused = sign_in_through(browser, stack, sso.org, OIDC_ALIAS, CAROL)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert COOKIE not in refused.headers.get("set-cookie", "")
            assert browser.get("/api/v1/me").status_code == 401
        assert members_with(sso.org, CAROL) == []

    def test_ensuring_again_without_the_secret_keeps_it(
        self, sso: Sso, realms: RealmService, api_url: str, stack: Stack
    ) -> None:
        spec = oidc_spec(sso.oidc)
        without_secret = replace(spec, config={k: v for k, v in spec.config.items() if k != "clientSecret"})
        realms.ensure_identity_provider(sso.org.slug, without_secret)
        # The broker still authenticates to the provider with the stored secret.
        with api_browser(api_url, stack) as browser:
            done = sign_in_through(browser, stack, sso.org, OIDC_ALIAS, ALICE)
        assert done.status_code == 303, done.text


class TestSamlProvider:
    def test_first_sign_in_joins_with_the_role_of_the_domain(
        self, sso: Sso, api_url: str, stack: Stack
    ) -> None:
        with api_browser(api_url, stack) as browser:
            done = sign_in_through(browser, stack, sso.org, SAML_ALIAS, BOB)
            assert done.status_code == 303, done.text
            assert done.headers["location"] == "/projects"
            me = browser.get("/api/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["email"] == BOB
            assert me.json()["role"] == "member"
            assert me.json()["display_name"] == "Bob Vendor"

        user = org_realm_user(sso, BOB)
        assert (user["firstName"], user["lastName"], user["emailVerified"]) == ("Bob", "Vendor", True)
        links = sso.org_admin.get_user_social_logins(str(user["id"]))
        assert [link["identityProvider"] for link in links] == [SAML_ALIAS]
        # The federated identity is the provider's persistent NameID, not the e-mail address.
        assert links[0]["userId"] != BOB

    def test_an_assertion_signed_with_another_key_is_refused(
        self, sso: Sso, realms: RealmService, api_url: str, stack: Stack
    ) -> None:
        spec = saml_spec(sso.saml)
        # Another realm's certificate: the provider's real signatures no longer verify.
        wrong = replace(
            spec, config={**spec.config, "signingCertificate": signing_certificate(sso.oidc.admin)}
        )
        realms.ensure_identity_provider(sso.org.slug, wrong)
        try:
            with (
                api_browser(api_url, stack) as browser,
                pytest.raises(LoginFailed, match="Invalid signature"),
            ):
                sign_in_through(browser, stack, sso.org, SAML_ALIAS, BOB)
        finally:
            realms.ensure_identity_provider(sso.org.slug, spec)


def test_the_first_broker_login_reviews_a_profile_only_when_a_field_is_missing(
    sso: Sso, realms: RealmService
) -> None:
    executions = sso.org_admin.get_authentication_flow_executions("first broker login")
    review = next(e for e in executions if e.get("providerId") == "idp-review-profile")
    path = f"admin/realms/{sso.org.slug}/authentication/config/{review['authenticationConfig']}"
    config = sso.org_admin.connection.raw_get(path).json()
    assert config["config"]["update.profile.on.first.login"] == "missing"  # Keycloak 26's default
    # Changed behind Enclave's back, it is set back by the next ensure.
    on = {**config, "config": {**config["config"], "update.profile.on.first.login": "on"}}
    assert sso.org_admin.connection.raw_put(path, data=json.dumps(on)).status_code == 204
    realms.ensure_identity_provider(sso.org.slug, saml_spec(sso.saml))
    assert (
        sso.org_admin.connection.raw_get(path).json()["config"]["update.profile.on.first.login"] == "missing"
    )


@pytest.mark.parametrize(("alias", "email"), [(OIDC_ALIAS, ALICE), (SAML_ALIAS, BOB)])
def test_a_second_sign_in_is_the_same_member(
    sso: Sso, api_url: str, stack: Stack, alias: str, email: str
) -> None:
    user_ids = []
    for _ in range(2):
        with api_browser(api_url, stack) as browser:
            done = sign_in_through(browser, stack, sso.org, alias, email)
            assert done.status_code == 303, done.text
            user_ids.append(browser.get("/api/v1/me").json()["user_id"])
    assert user_ids[0] == user_ids[1]
    assert [member["user_id"] for member in members_with(sso.org, email)] == [user_ids[0]]


def test_a_deleted_provider_signs_nobody_in(
    sso: Sso, realms: RealmService, api_url: str, stack: Stack
) -> None:
    realms.ensure_identity_provider(sso.org.slug, oidc_spec(sso.oidc, SPARE_ALIAS))
    with api_browser(api_url, stack) as browser:
        done = sign_in_through(browser, stack, sso.org, SPARE_ALIAS, DAVE)
    assert done.status_code == 303, done.text

    realms.delete_identity_provider(sso.org.slug, SPARE_ALIAS)
    realms.delete_identity_provider(sso.org.slug, SPARE_ALIAS)  # already gone: nothing happens
    aliases = [provider["alias"] for provider in sso.org_admin.get_idps()]
    assert SPARE_ALIAS not in aliases
    assert OIDC_ALIAS in aliases
    # Keycloak ignores the unknown hint and shows the realm's own form, where the provider's user
    # has no password.
    with (
        api_browser(api_url, stack) as browser,
        pytest.raises(LoginFailed, match="Invalid username or password"),
    ):
        sign_in_through(browser, stack, sso.org, SPARE_ALIAS, DAVE)


def test_the_admin_lists_the_connected_providers_without_their_secrets(
    sso: Sso, realms: RealmService
) -> None:
    listed = sso.org.ok("GET", "/organization/identity-providers")["items"]
    by_alias = {provider["alias"]: provider for provider in listed}
    assert {OIDC_ALIAS, SAML_ALIAS} <= by_alias.keys()
    assert by_alias[OIDC_ALIAS]["kind"] == "oidc"
    assert by_alias[SAML_ALIAS]["kind"] == "saml"
    assert by_alias[OIDC_ALIAS]["display_name"] == "Partner SSO"
    assert by_alias[SAML_ALIAS]["redirect_uri"] == realms.broker_endpoint(sso.org.slug, SAML_ALIAS)
    assert by_alias[SAML_ALIAS]["sp_entity_id"] == realms.issuer(sso.org.slug)
    assert str(sso.oidc.config["clientSecret"]) not in json.dumps(listed)
