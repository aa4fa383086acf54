"""Fixtures for suites that sign people in: the realm service, and a tenant with its own Keycloak
realm, deleted afterwards. Imported by the suites' conftest or module that needs them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.settings import KeycloakSettings, TLSSettings
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack


@pytest.fixture(scope="module")
def realms(stack: Stack) -> RealmService:
    return RealmService(admin_from_settings(KeycloakSettings(), TLSSettings()))


@pytest.fixture
def org(api: httpx.Client, api_url: str, realms: RealmService) -> Iterator[Tenant]:
    tenant = Tenant.create(api)
    realms.ensure_realm(realm_spec_for(tenant.slug, f"Org {tenant.slug}", api_url))
    yield tenant
    realms.delete_realm(tenant.slug)
