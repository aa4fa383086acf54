"""Unit fixtures: a complete, valid ``ENCLAVE_*`` environment pointing at throwaway files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tls import write_ca


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    files = {
        name: tmp_path / name
        for name in (
            "ca.crt",
            "db.pw",
            "redis.pw",
            "s3.key",
            "s3.secret",
            "api.crt",
            "api.key",
            "session.key",
        )
    }
    for path in files.values():
        path.write_text("placeholder\n")
    write_ca("Unit test CA", files["ca.crt"])
    files["session.key"].write_text("unit-test-session-secret-0123456789\n")
    env = {
        "ENCLAVE_TLS_CA_FILE": str(files["ca.crt"]),
        "ENCLAVE_DB_HOST": "db.internal",
        "ENCLAVE_DB_PORT": "15432",
        "ENCLAVE_DB_PASSWORD_FILE": str(files["db.pw"]),
        "ENCLAVE_REDIS_URL": "rediss://redis.internal:6380/0",
        "ENCLAVE_REDIS_PASSWORD_FILE": str(files["redis.pw"]),
        "ENCLAVE_S3_ENDPOINT": "https://s3.internal:9000",
        "ENCLAVE_S3_ACCESS_KEY_FILE": str(files["s3.key"]),
        "ENCLAVE_S3_SECRET_KEY_FILE": str(files["s3.secret"]),
        "ENCLAVE_VAULT_URL": "https://vault.internal:8200/",
        "ENCLAVE_KEYCLOAK_URL": "https://keycloak.internal",
        "ENCLAVE_API_TLS_CERT_FILE": str(files["api.crt"]),
        "ENCLAVE_API_TLS_KEY_FILE": str(files["api.key"]),
        "ENCLAVE_SESSION_KEY_FILE": str(files["session.key"]),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
