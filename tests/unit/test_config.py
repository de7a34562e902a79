"""Settings: production mode refuses the development defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shaffof.config import DEVELOPMENT_SECRET_KEY, Environment, Settings

GOOD_KEY = "k3J9-qv7Zr2mX8wL0pT5nB6yH1cF4dS0"  # 32 characters
assert len(GOOD_KEY) == 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SHAFFOF_* variable of the machine and no .env file may leak into these tests."""
    for name in list(os.environ):
        if name.upper().startswith("SHAFFOF_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("key", [DEVELOPMENT_SECRET_KEY, "short", "", GOOD_KEY[:31]])
def test_production_refuses_the_development_key_and_short_keys(key: str) -> None:
    with pytest.raises(ValueError, match="SHAFFOF_SECRET_KEY") as caught:
        Settings(env=Environment.production, secret_key=key)
    assert "at least 32 characters" in str(caught.value)


def test_production_refuses_the_default_key_when_none_is_given() -> None:
    with pytest.raises(ValueError, match="SHAFFOF_SECRET_KEY"):
        Settings(env="production")


def test_production_refuses_cookies_without_the_secure_flag() -> None:
    with pytest.raises(ValueError, match="SHAFFOF_COOKIE_SECURE=false is refused in production"):
        Settings(env=Environment.production, secret_key=GOOD_KEY, cookie_secure=False)


def test_production_refuses_services_without_their_sign_in_level() -> None:
    with pytest.raises(ValueError, match="SHAFFOF_ENFORCE_SERVICE_ASSURANCE=false is refused in production"):
        Settings(env=Environment.production, secret_key=GOOD_KEY, enforce_service_assurance=False)
    assert "sign-in levels are not enforced" in " ".join(Settings(enforce_service_assurance=False).unsafe_choices())


def test_production_accepts_a_good_key() -> None:
    settings = Settings(env=Environment.production, secret_key=GOOD_KEY)
    assert settings.is_production
    assert settings.secret_key == GOOD_KEY
    assert settings.unsafe_choices() == []


def test_production_is_refused_when_configured_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAFFOF_ENV", "production")
    with pytest.raises(ValueError, match="SHAFFOF_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("SHAFFOF_SECRET_KEY", GOOD_KEY)
    assert Settings().is_production


def test_development_mode_runs_with_the_development_key_but_lists_it_as_unsafe() -> None:
    settings = Settings()
    assert settings.env is Environment.development
    assert not settings.is_production
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY
    assert any("development secret key" in choice for choice in settings.unsafe_choices())


def test_development_mode_lists_insecure_cookies_as_unsafe() -> None:
    settings = Settings(secret_key=GOOD_KEY, cookie_secure=False)
    assert settings.unsafe_choices() == ["session cookies are not marked Secure"]


def test_development_mode_with_safe_choices_lists_nothing() -> None:
    assert Settings(secret_key=GOOD_KEY).unsafe_choices() == []


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    assert settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'var' / 'shaffof.db'}"


def test_default_database_path_is_absolute_for_a_relative_data_dir(tmp_path: Path) -> None:
    # The working directory is tmp_path (see the autouse fixture).
    settings = Settings(data_dir=Path("var"))
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'var' / 'shaffof.db'}"


def test_an_explicit_database_url_is_used_as_given(tmp_path: Path) -> None:
    url = "postgresql+psycopg://shaffof@localhost/shaffof"
    assert Settings(data_dir=tmp_path, database_url=url).resolved_database_url == url


def test_blobs_are_kept_in_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).blob_dir == tmp_path / "blobs"
