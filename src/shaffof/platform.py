"""Wiring of the domain services for one configuration (used by the web app and the CLI alike)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shaffof.archive.blobstore import BlobStore
from shaffof.cases.service import Cases, SlaReport
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.deadlines.service import Deadlines
from shaffof.deadlines.sla import SlaPolicy
from shaffof.decisions.service import DecisionDocuments
from shaffof.identity.passwords import Passwords
from shaffof.identity.service import LoginPolicy
from shaffof.ledger.keys import LogKeySource
from shaffof.ledger.service import Ledger
from shaffof.live.service import LiveUpdates
from shaffof.notify.service import Notifications, notify_heads
from shaffof.pki.service import Pki, PkiSubmissionSignatures


@dataclass
class Platform:
    settings: Settings
    db: Database
    passwords: Passwords
    login_policy: LoginPolicy
    blobs: BlobStore
    cases: Cases
    deadlines: Deadlines
    notifications: Notifications
    live: LiveUpdates
    ledger: Ledger
    pki: Pki

    def issue_decisions(self, limit: int = 50) -> int:
        """Render and seal the decision PDFs of decided cases that have none yet (the worker runs it)."""
        issuer = DecisionDocuments(self.pki, public_url=self.settings.public_url or "", timezone=self.settings.timezone)
        return self.cases.issue_decision_documents(issuer, limit=limit)

    def monitor_sla(self) -> SlaReport:
        """One pass of the SLA monitor, escalating to heads of bodies through notifications."""
        return self.cases.monitor_sla(escalate=notify_heads)

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> Platform:
        db = db or Database(settings.resolved_database_url)
        blobs = BlobStore(settings.blob_dir, db)
        deadlines = Deadlines(db, timezone=settings.timezone, working_day_ends=settings.working_day_ends)
        pki = Pki.from_settings(settings, db)
        cases = Cases(
            db,
            blobs,
            timezone=settings.timezone,
            max_document_bytes=settings.max_document_bytes,
            deadlines=deadlines,
            signatures=PkiSubmissionSignatures(pki),  # signed submissions are verified by the PKI
            sla_policy=SlaPolicy(
                at_risk_share=settings.sla_at_risk_share,
                long_overdue_after=dt.timedelta(days=settings.sla_long_overdue_days),
            ),
        )
        deadlines.on_calendar_change(cases.recompute_for_calendar_change)  # due dates move with the calendar
        notifications = Notifications(db, timezone=settings.timezone)
        cases.add_event_handler(notifications.on_case_event)  # outbox rows, in the same transaction
        live = LiveUpdates(db, cases, heartbeat_seconds=settings.live_heartbeat_seconds)
        cases.add_event_handler(live.on_case_event)  # live signals, sent after the commit
        log_key = LogKeySource(settings.ledger_key_file, settings.data_dir, production=settings.is_production)
        ledger = Ledger(db, keys=log_key, origin=settings.ledger_origin, cases=cases)
        # the event's leaf, in the same transaction (a bulk operation's leaves in one statement per batch)
        cases.add_event_handler(ledger.record_case_event, batch=ledger.record_case_events)
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
            cases=cases,
            deadlines=deadlines,
            notifications=notifications,
            live=live,
            ledger=ledger,
            pki=pki,
        )
