"""Settings, read from the environment (prefix ``SHAFFOF_``) and an optional ``.env`` file.

Production mode refuses the development defaults: a platform whose secrets are the ones in the
source code is not a platform anyone may run for citizens.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
DEVELOPMENT_PKI_PASSPHRASE = "development-only-pki-passphrase-do-not-use-in-production"  # noqa: S105


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
    # argon2id hashes running at once per process; each holds argon2_memory_kib (identity/passwords.py).
    argon2_parallel: int = Field(default=1, ge=1, le=64)

    # Services shipped with the platform, imported by `shaffof init` / `shaffof demo`.
    services_dir: Path = Path("services")

    # Deadlines: a receipt after this local time counts as received outside working hours (ZRU-445 Art. 23:
    # registered on the next working day). Default 18:00, the end of the usual working day.
    working_day_ends: dt.time = dt.time(18, 0)

    # Notifications (notify/: outbox, SMTP, SMS webhook, worker) and live updates (live/: SSE).
    public_url: str | None = Field(default=None, description="base of links in messages, e.g. https://my.gov.uz")
    smtp_host: str | None = Field(default=None, description="no host: e-mails stay queued (warned)")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str = "Shaffof <no-reply@shaffof.localhost>"
    smtp_timeout_seconds: float = 30.0
    sms_webhook_url: str | None = Field(default=None, description="no URL: SMS are not sent (permanent-failure)")
    sms_webhook_token: SecretStr | None = None
    notify_max_attempts: int = Field(default=48, ge=1)
    notify_backoff_base_seconds: float = Field(default=30.0, gt=0)
    notify_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    notify_batch_size: int = Field(default=50, ge=1)
    notify_sending_lease_seconds: float = Field(default=300.0, gt=0)
    worker_poll_seconds: float = Field(default=5.0, gt=0)
    # SLA monitor (deadlines/sla.py): "at risk" below this share of the answer period left; escalation to the
    # higher body this many days after the deadline. Operational settings, not legal terms.
    sla_at_risk_share: float = Field(default=0.25, gt=0, lt=1)
    sla_long_overdue_days: int = Field(default=10, ge=1)
    sla_interval_seconds: float = Field(default=60.0, gt=0)
    live_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Statistics: groups with fewer decisions are flagged and never ranked (FixMyStreet issue #1957).
    stats_small_number: int = Field(default=10, ge=1)

    # Ledger (issue 8): the Ed25519 log key that signs checkpoints (PKCS#8 PEM; `shaffof ledger keygen`).
    # Unset: a development key generated under the data dir, warned about on every start and refused in
    # production, where the sequencer then signs nothing (checkpoints lag; docs/ledger.md, "Faults").
    ledger_key_file: Path | None = None
    ledger_origin: str = Field(default="shaffof.localhost/ledger", pattern=r"^[^\s+]+$")
    ledger_sequencer_interval_seconds: float = Field(default=0.5, gt=0, le=1.0)
    # Checkpoints are timestamped by the platform TSA (RFC 3161). If the log cannot sign or timestamp for longer
    # than this, new work is refused with 503 (X-Road's acceptable timestamp failure period, same default;
    # 0 never refuses). docs/ledger.md, "Faults".
    ledger_timestamps: bool = True
    ledger_acceptable_failure_seconds: float = Field(default=14_400, ge=0)
    # The archive's retention schedule (archive/retention.yaml when unset): classes, periods and their ground.
    archive_retention_file: Path | None = None

    # PKI (issue 3): CA, TSA, OCSP, e-seal and cloud keys are sealed under this passphrase (docs/pki.md). The
    # development default is warned about on every start and refused in production (PKI operations answer 503).
    pki_passphrase: SecretStr = SecretStr(DEVELOPMENT_PKI_PASSPHRASE)
    # ZRU-793: a signature-key certificate is valid for at most 24 months; the validity issued (months).
    pki_certificate_months: int = Field(default=12, ge=1, le=24)

    # OpenID Connect provider (issue 5, docs/oidc.md). The issuer defaults to the public URL.
    oidc_issuer: str | None = Field(default=None, description="e.g. https://id.my.gov.uz; default: the public URL")
    oidc_access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    oidc_id_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    oidc_idle_timeout_seconds: int = Field(default=1800, ge=60)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    # A service's assurance_level (service.yaml) is required of the applicant's sign-in (portal and API).
    enforce_service_assurance: bool = True
    # Upstream identity provider (the national one in production): sign-in there, matched here by PINFL.
    upstream_oidc_issuer: str | None = Field(default=None, description="its discovery is ISSUER/.well-known/…")
    upstream_oidc_client_id: str | None = None
    upstream_oidc_client_secret: SecretStr | None = None
    upstream_oidc_pinfl_claim: str = "pinfl"
    upstream_oidc_scope: str = "openid pinfl"
    upstream_oidc_acr: str = Field(default="substantial", pattern=r"^(low|substantial|high)$")
    # Personal data (issue 6, docs/personal-data.md): envelope encryption of sensitive registry fields.
    # "id:base64(32 bytes)" entries, comma-separated; the first wraps new data keys, the others are kept for
    # reading until `shaffof keys rotate` has rewrapped everything. Unset: development keys derived from the
    # secret key (warned on every start; refused in production, where
    # reading or writing encrypted fields then fails), as is the blind-index key used for lookups.
    field_keys: SecretStr | None = None
    blind_index_key: SecretStr | None = None
    # A signed mediator request older or newer than this is refused as a possible replay.
    mediator_clock_skew_seconds: int = Field(default=300, ge=1)
    # ZRU-547 Art. 17: content obtained for a case is destroyed when its purpose is achieved — the case closed
    # and the time to contest it over. ZRU-445 Art. 22 gives one year for a complaint to a higher body; our
    # reading (an interpretation, hence a setting) counts it from the closing, or from the query outside a case.
    privacy_contest_period_days: int = Field(default=365, ge=1)

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
            if not self.enforce_service_assurance:
                raise InsecureSettings("SHAFFOF_ENFORCE_SERVICE_ASSURANCE=false is refused in production.")
        return self

    def unsafe_choices(self) -> list[str]:
        """What this configuration does that must never reach citizens; logged loudly on every start."""
        found = []
        if self.secret_key == DEVELOPMENT_SECRET_KEY:
            found.append("development secret key in use (set SHAFFOF_SECRET_KEY)")
        if not self.cookie_secure:
            found.append("session cookies are not marked Secure")
        if not self.enforce_service_assurance:
            found.append("services' sign-in levels are not enforced (SHAFFOF_ENFORCE_SERVICE_ASSURANCE=false)")
        if self.smtp_host and self.smtp_password and not self.smtp_starttls:
            found.append("the SMTP password is sent without STARTTLS (set SHAFFOF_SMTP_STARTTLS=true)")
        return found

    @property
    def resolved_oidc_issuer(self) -> str:
        return (self.oidc_issuer or self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

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
