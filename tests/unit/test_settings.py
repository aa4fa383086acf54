"""Settings: read from ENCLAVE_* once, plaintext endpoints refused, no way to turn verification off."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from enclave.settings import (
    ApiSettings,
    DatabaseSettings,
    KeycloakSettings,
    Mode,
    RedisSettings,
    S3Settings,
    Settings,
    TLSSettings,
    VaultSettings,
    read_secret,
)


class TestSettings:
    def test_reads_every_part_from_the_environment(self, settings_env: dict[str, str]) -> None:
        settings = Settings()
        assert settings.db.host == "db.internal"
        assert settings.db.port == 15432
        assert settings.db.user == "enclave_api"
        assert settings.redis.url == "rediss://redis.internal:6380/0"
        assert settings.vault.url == "https://vault.internal:8200"  # trailing slash dropped
        assert settings.api.mode is Mode.PRODUCTION

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("ENCLAVE_S3_ENDPOINT", "http://s3.internal:9000"),
            ("ENCLAVE_VAULT_URL", "http://vault.internal:8200"),
            ("ENCLAVE_KEYCLOAK_URL", "http://keycloak.internal"),
            ("ENCLAVE_REDIS_URL", "redis://redis.internal:6379/0"),
        ],
    )
    def test_plaintext_endpoints_are_rejected(
        self, settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, variable: str, value: str
    ) -> None:
        monkeypatch.setenv(variable, value)
        with pytest.raises(ValidationError, match="plaintext endpoints are not supported"):
            Settings()

    @pytest.mark.parametrize(
        "part",
        [
            TLSSettings,
            DatabaseSettings,
            RedisSettings,
            S3Settings,
            VaultSettings,
            KeycloakSettings,
            ApiSettings,
        ],
    )
    def test_no_setting_can_turn_verification_off(self, part: type) -> None:
        forbidden = (
            "verify",
            "insecure",
            "skip",
            "ssl_mode",
            "sslmode",
            "tls_enabled",
            "plaintext",
            "disable",
        )
        for field in part.model_fields:
            assert not any(word in field for word in forbidden), f"{part.__name__}.{field}"

    def test_missing_secret_file_is_an_error(
        self, settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ENCLAVE_DB_PASSWORD_FILE", "/nonexistent/password")
        with pytest.raises(ValidationError, match="password_file"):
            Settings()

    def test_unknown_mode_is_rejected(
        self, settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ENCLAVE_API_MODE", "debug")
        with pytest.raises(ValidationError, match="mode"):
            Settings()

    def test_read_secret_strips_the_newline(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        path = tmp_path / "secret"
        path.write_text("s3cr3t\n")
        assert read_secret(path) == "s3cr3t"

    def test_settings_repr_holds_paths_not_secrets(self, settings_env: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "db.pw").write_text("the-real-password\n")
        assert "the-real-password" not in repr(Settings().db)
