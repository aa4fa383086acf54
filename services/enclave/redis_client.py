"""The one way a service connects to Redis: TLS verified against the installation's CA, as its ACL user.

Must never connect in plaintext or without verifying the server's certificate and host name.
"""

from __future__ import annotations

import ssl

import redis.asyncio as aioredis

from enclave.settings import RedisSettings, TLSSettings, read_secret


def create_redis(redis: RedisSettings, tls: TLSSettings, *, timeout_s: float = 5.0) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        redis.url,
        username=redis.user,
        password=read_secret(redis.password_file),
        ssl_ca_certs=str(tls.ca_file),
        ssl_cert_reqs="required",
        ssl_check_hostname=True,
        ssl_min_version=ssl.TLSVersion.TLSv1_2,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
    )
