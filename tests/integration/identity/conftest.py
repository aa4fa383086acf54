"""Identity fixtures: a tenant with its own Keycloak realm (deleted afterwards, from
``tests.support.realm_fixtures``) and the browsers, each verifying TLS against the stack's CA."""

from __future__ import annotations

from tests.support.realm_fixtures import org, realms

__all__ = ["org", "realms"]
