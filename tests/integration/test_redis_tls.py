"""Redis answers only on its TLS port, only to a verifying client, and only to its ACL user."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from tests.integration.stack import Stack


def _client(
    stack: Stack,
    *,
    ssl_ca: str | None,
    user: str | None = "enclave",
    password: str | None = None,
    tls: bool = True,
) -> redis.Redis:
    port = int(stack.env["ENCLAVE_REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    kwargs: dict[str, object] = {
        "host": "localhost",
        "port": port,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
        "username": user,
        "retry": Retry(NoBackoff(), 0),  # a refusal is the answer under test, not something to retry
        "password": password if password is not None else stack.secret("ENCLAVE_REDIS_PASSWORD_FILE"),
    }
    if tls:
        kwargs |= {
            "ssl": True,
            "ssl_cert_reqs": "required",
            "ssl_check_hostname": True,
            "ssl_ca_certs": ssl_ca,
        }
    return redis.Redis(**kwargs)  # type: ignore[arg-type]


class TestRedisTLS:
    def test_verified_tls_with_acl_user_works(self, stack: Stack) -> None:
        client = _client(stack, ssl_ca=stack.ca_file)
        assert client.ping() is True
        assert client.acl_whoami() == "enclave"

    def test_plaintext_on_the_tls_port_is_refused(self, stack: Stack) -> None:
        with pytest.raises(RedisConnectionError):
            _client(stack, ssl_ca=None, tls=False).ping()

    def test_server_not_signed_by_a_trusted_ca_is_refused(self, stack: Stack) -> None:
        with pytest.raises(RedisConnectionError, match="certificate verify failed"):
            _client(stack, ssl_ca=stack.foreign_ca_file).ping()

    def test_default_user_is_disabled(self, stack: Stack) -> None:
        with pytest.raises((AuthenticationError, ResponseError)):
            _client(stack, ssl_ca=stack.ca_file, user=None, password="").ping()

    def test_wrong_password_is_refused(self, stack: Stack) -> None:
        with pytest.raises(AuthenticationError):
            _client(stack, ssl_ca=stack.ca_file, password="not-the-password").ping()
