from pathlib import Path

import pytest
from pydantic import ValidationError

from dignity.settings import DEVELOPMENT_SECRET, Settings


def test_defaults_run_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DIGNITY_ENV", "DIGNITY_DATABASE_URL", "DIGNITY_DATA_DIR", "DIGNITY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "development"
    assert settings.sqlalchemy_url == "sqlite:///var/dignity.db"
    assert settings.signing_key_path == Path("var/keys/audit-ed25519.pem")
    assert settings.witness_dir == Path("var/witness")
    assert settings.text_direction == "ltr"


def test_environment_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGNITY_DATABASE_URL", raising=False)
    monkeypatch.setenv("DIGNITY_PORT", "9123")
    monkeypatch.setenv("DIGNITY_DATA_DIR", "/srv/dignity")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == 9123
    assert settings.sqlalchemy_url == "sqlite:////srv/dignity/dignity.db"


@pytest.mark.parametrize("env", ["test", "production"])
def test_the_development_secret_is_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="DIGNITY_SECRET_KEY is the development default"):
        Settings(_env_file=None, env=env, secret_key=DEVELOPMENT_SECRET)  # type: ignore[call-arg]


def test_a_real_secret_is_accepted_in_production() -> None:
    settings = Settings(_env_file=None, env="production", secret_key="s" * 48)  # type: ignore[call-arg]
    assert settings.secret_key.get_secret_value() == "s" * 48


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(_env_file=None, env="production", secret_key="short")  # type: ignore[call-arg]


def test_the_secret_is_masked_in_repr() -> None:
    settings = Settings(_env_file=None, env="production", secret_key="q" * 40)  # type: ignore[call-arg]
    assert "q" * 40 not in repr(settings)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("language", "direction"),
    [
        ("en", "ltr"),
        ("fr", "ltr"),
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("he", "rtl"),
        ("ur", "rtl"),
        ("ckb", "rtl"),
        ("ar-SY", "rtl"),
        ("ru", "ltr"),
    ],
)
def test_text_direction_follows_the_language(language: str, direction: str) -> None:
    assert Settings(_env_file=None, language=language).text_direction == direction  # type: ignore[call-arg]


def test_a_malformed_language_tag_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, language="<script>")  # type: ignore[call-arg]
