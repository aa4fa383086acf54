"""Domain fixtures: tenants built through the real api."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.domain.world import Tenant


@pytest.fixture
def tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)


@pytest.fixture
def other_tenant(api: httpx.Client) -> Tenant:
    return Tenant.create(api)
