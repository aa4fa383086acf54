"""Session limits: 15 minutes idle, 12 hours in all and a 5-minute step-up by default, each
configurable only shorter (a longer value is refused when the settings are read, at startup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from enclave.settings import SessionSettings


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "session.key"
    path.write_text("a session key for these tests")
    return path


class TestSessionSettings:
    def test_defaults(self, key_file: Path) -> None:
        settings = SessionSettings(key_file=key_file)
        assert settings.idle_timeout_s == 15 * 60
        assert settings.absolute_timeout_s == 12 * 60 * 60
        assert settings.reauthentication_max_age_s == 5 * 60

    @pytest.mark.parametrize("field", ["idle_timeout_s", "absolute_timeout_s", "reauthentication_max_age_s"])
    def test_only_shorter(self, key_file: Path, field: str) -> None:
        default = SessionSettings.model_fields[field].default
        assert getattr(SessionSettings(key_file=key_file, **{field: default - 1}), field) == default - 1
        with pytest.raises(ValidationError, match=field):
            SessionSettings(key_file=key_file, **{field: default + 1})

    def test_from_the_environment_too(self, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENCLAVE_SESSION_IDLE_TIMEOUT_S", "901")
        with pytest.raises(ValidationError, match="idle_timeout_s"):
            SessionSettings(key_file=key_file)
