"""API-key test helpers: the bearer header, and the api's Redis counter of failed key attempts,
which tests clear so one test's deliberate failures never throttle another's keys."""

from __future__ import annotations

import redis

from enclave.web.api_key_auth import FAILURE_PREFIX
from tests.integration.stack import Stack

#: Where the api sees these tests come from (they connect to localhost over IPv4 or IPv6).
SOURCES = ("127.0.0.1", "::1")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def redis_client(stack: Stack) -> redis.Redis:
    """The stack's Redis as its ACL user, over verified TLS."""
    return redis.Redis.from_url(
        stack.env["ENCLAVE_REDIS_URL"],
        username=stack.env["ENCLAVE_REDIS_USER"],
        password=stack.secret("ENCLAVE_REDIS_PASSWORD_FILE"),
        ssl_ca_certs=stack.ca_file,
        ssl_cert_reqs="required",
        ssl_check_hostname=True,
        socket_timeout=5,
    )


def forget_key_failures(stack: Stack) -> None:
    """Clears the api's count of failed API key attempts from this machine, so that a test's failures
    (deliberate or not) never throttle the API keys of tests that run after it."""
    with redis_client(stack) as client:
        client.delete(*(FAILURE_PREFIX + source for source in SOURCES))
