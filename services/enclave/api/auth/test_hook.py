"""The test-only authentication hook: ``X-Enclave-Test-User: <organization id>/<user id>``.

Lets the integration and security suites act as any member of any organization without a Keycloak
sign-in or an API key. It is installed only when ``ENCLAVE_API_MODE=test``; ``make up`` and
every production start run in production mode, where this header means nothing: a request that
carries only it has no credentials, and every protected route answers it 401.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar.connection import ASGIConnection

from enclave.web.claims import Claim

HEADER = "x-enclave-test-user"


def claim_from_test_header(connection: ASGIConnection[Any, Any, Any, Any]) -> Claim | None:
    value = connection.headers.get(HEADER)
    if not value:
        return None
    org, _, user = value.partition("/")
    try:
        return Claim(organization_id=uuid.UUID(org), user_id=uuid.UUID(user), via="test")
    except ValueError:
        return None
