"""Wiring of the domain services for one configuration (used by the web app and the CLI alike)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shaffof.archive.blobstore import BlobStore
from shaffof.cases.service import Cases
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.identity.passwords import Passwords
from shaffof.identity.service import LoginPolicy


@dataclass
class Platform:
    settings: Settings
    db: Database
    passwords: Passwords
    login_policy: LoginPolicy
    blobs: BlobStore
    cases: Cases

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> Platform:
        db = db or Database(settings.resolved_database_url)
        blobs = BlobStore(settings.blob_dir, db)
        return cls(
            settings=settings,
            db=db,
            passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
            login_policy=LoginPolicy(
                max_failures=settings.login_max_failures,
                window=dt.timedelta(seconds=settings.login_failure_window_seconds),
                session_ttl=dt.timedelta(seconds=settings.session_ttl_seconds),
                api_token_ttl=dt.timedelta(seconds=settings.api_token_ttl_seconds),
            ),
            blobs=blobs,
            cases=Cases(
                db,
                blobs,
                timezone=settings.timezone,
                max_document_bytes=settings.max_document_bytes,
            ),
        )
