"""Settings, read from the environment (prefix ``SHAFFOF_``) and an optional ``.env`` file.

Production mode refuses the development defaults: a platform whose secrets are the ones in the
source code is not a platform anyone may run for citizens.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


class Environment(StrEnum):
    development = "development"
    production = "production"


class InsecureSettings(ValueError):
    """Raised when production mode would run with a development default."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHAFFOF_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file shaffof.db in the data dir"
    )
    secret_key: str = DEVELOPMENT_SECRET_KEY
    timezone: str = "Asia/Tashkent"
    host: str = "127.0.0.1"
    port: int = 8000

    # Documents (issue 2: default 20 MB, type sniffed from the content).
    max_document_bytes: int = 20 * 1024 * 1024
    allowed_document_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg")

    # Sessions and login throttling.
    session_ttl_seconds: int = 8 * 3600
    api_token_ttl_seconds: int = 30 * 24 * 3600
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    cookie_secure: bool = True
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024

    # Services shipped with the platform, imported by `shaffof init` / `shaffof demo`.
    services_dir: Path = Path("services")

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Self:
        if self.env is Environment.production:
            if self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32:
                raise InsecureSettings(
                    "SHAFFOF_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (the development default is refused)."
                )
            if not self.cookie_secure:
                raise InsecureSettings("SHAFFOF_COOKIE_SECURE=false is refused in production.")
        return self

    def unsafe_choices(self) -> list[str]:
        """What this configuration does that must never reach citizens; logged loudly on every start."""
        found = []
        if self.secret_key == DEVELOPMENT_SECRET_KEY:
            found.append("development secret key in use (set SHAFFOF_SECRET_KEY)")
        if not self.cookie_secure:
            found.append("session cookies are not marked Secure")
        return found

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shaffof.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
