"""Wiring of the domain services for one configuration (used by the web app and the CLI alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import Session

from shaffof.archive.blobstore import BlobStore
from shaffof.archive.retention import load_schedule
from shaffof.archive.service import Archive
from shaffof.automation.mediated import MediatorGateway
from shaffof.automation.schemas import AdvanceReport
from shaffof.automation.service import Automation
from shaffof.cases.ratings import Ratings
from shaffof.cases.service import Cases, SlaReport
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.deadlines.service import Deadlines
from shaffof.deadlines.sla import SlaPolicy
from shaffof.decisions.service import DecisionDocuments
from shaffof.identity.passwords import Passwords
from shaffof.identity.service import LoginPolicy
from shaffof.integrity.schemas import ScanSummary
from shaffof.integrity.service import Integrity
from shaffof.integrity.sources import RegistryFamilyTies, TrackerAccessLog
from shaffof.ledger.keys import LogKeySource
from shaffof.ledger.models import LeafKind
from shaffof.ledger.service import Ledger
from shaffof.ledger.timestamps import PkiTimestamps
from shaffof.live.service import LiveUpdates
from shaffof.mediator.policies import Policies
from shaffof.mediator.purpose import DestructionReport, destroy_in_batches
from shaffof.mediator.service import Mediator
from shaffof.notify.service import Notifications, notify_heads
from shaffof.oidc.models import Assurance
from shaffof.oidc.provider import OidcConfig
from shaffof.oidc.service import Oidc
from shaffof.oidc.subject import pairwise_key
from shaffof.oidc.upstream import Upstream, UpstreamConfig
from shaffof.pki.service import Pki, PkiSubmissionSignatures, PlatformKey
from shaffof.privacy.encryption import FieldKeys
from shaffof.privacy.records import ACCESS_RECORDS
from shaffof.privacy.rights import SubjectRights
from shaffof.privacy.service import Privacy
from shaffof.registries.service import Registries
from shaffof.reports.rollup import Rollups
from shaffof.reports.service import Statistics


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
    archive: Archive
    registries: Registries
    privacy: Privacy
    mediator: Mediator
    rights: SubjectRights
    automation: Automation
    ratings: Ratings
    rollups: Rollups
    statistics: Statistics
    integrity: Integrity

    def decision_documents(self, signer: Callable[[Session], PlatformKey] | None = None) -> DecisionDocuments:
        """Renders and signs decision documents: with ``signer`` (an officer's key), else the body's e-seal."""
        return DecisionDocuments(
            self.pki, public_url=self.settings.public_url or "", timezone=self.settings.timezone, signer=signer
        )

    @cached_property
    def oidc(self) -> Oidc:
        """The OpenID Connect provider, sign-in with assurance levels and agency API clients (oidc/)."""
        settings = self.settings
        config = OidcConfig(
            issuer=settings.resolved_oidc_issuer,
            pairwise_key=pairwise_key(settings.secret_key),
            access_token_ttl=dt.timedelta(seconds=settings.oidc_access_token_ttl_seconds),
            id_token_ttl=dt.timedelta(seconds=settings.oidc_id_token_ttl_seconds),
            idle_timeout=dt.timedelta(seconds=settings.oidc_idle_timeout_seconds),
            session_ttl=dt.timedelta(seconds=settings.session_ttl_seconds),
        )
        upstream = None
        if settings.upstream_oidc_issuer and settings.upstream_oidc_client_id and settings.upstream_oidc_client_secret:
            upstream = Upstream(
                UpstreamConfig(
                    issuer=settings.upstream_oidc_issuer.rstrip("/"),
                    client_id=settings.upstream_oidc_client_id,
                    client_secret=settings.upstream_oidc_client_secret.get_secret_value(),
                    redirect_uri=f"{config.issuer}/oauth/upstream/callback",
                    scope=settings.upstream_oidc_scope,
                    pinfl_claim=settings.upstream_oidc_pinfl_claim,
                    acr=Assurance(settings.upstream_oidc_acr),
                ),
                settings.secret_key,
            )
        return Oidc(
            self.db,
            self.pki,
            self.passwords,
            self.login_policy,
            config,
            secret_key=settings.secret_key,
            max_failures_per_address=settings.login_max_failures_per_address,
            upstream=upstream,
            enforce_service_assurance=settings.enforce_service_assurance,
        )

    def issue_decisions(self, limit: int = 50) -> int:
        """Render and seal the decision PDFs of decided cases that have none yet (the worker runs it)."""
        return self.cases.issue_decision_documents(self.decision_documents(), limit=limit)

    def seal_message_log(self) -> int:
        """Seal the mediator's unsealed message-log entries (the worker runs it); how many were sealed."""
        from shaffof.mediator.errors import NothingToSeal
        from shaffof.pki.errors import PkiNotInitialised

        try:
            return self.mediator.seal().size
        except NothingToSeal:
            return 0
        except PkiNotInitialised:  # the TSA seals the batches: they wait for `shaffof init`
            return 0

    @cached_property
    def policies(self) -> Policies:
        """The mediator's access-policy administration (list, add, change, revoke; each change logged)."""
        return Policies(self.db, clock=lambda: self.mediator.clock())

    def destroy_purpose_achieved(self) -> DestructionReport:
        """ZRU-547 Art. 17: destroy the data obtained for cases whose purpose is achieved (the worker runs it)."""
        period = dt.timedelta(days=self.settings.privacy_contest_period_days)
        return destroy_in_batches(self.db, self.mediator.clock(), period)

    def advance_automation(self) -> AdvanceReport:
        """Run the queued service processes (automated decisions) as far as they go (the worker runs it)."""
        return self.automation.advance()

    def monitor_sla(self) -> SlaReport:
        """One pass of the SLA monitor, escalating to heads of bodies through notifications."""
        return self.cases.monitor_sla(escalate=notify_heads)

    def scan_integrity(self) -> ScanSummary:
        """One pass of the process-integrity monitor (the worker runs it beside the SLA monitor)."""
        return self.integrity.scan()

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> Platform:
        db = db or Database(settings.resolved_database_url)
        blobs = BlobStore(settings.blob_dir, db)
        deadlines = Deadlines(db, timezone=settings.timezone, working_day_ends=settings.working_day_ends)
        pki = Pki.from_settings(settings, db)
        # Family ties and the personal-data access log come from the registries domain; until its
        # implementations are connected here, recusal checks the officer and declared conflicts only, and
        # the monitor reports the access-log rule as not run.
        integrity = Integrity(db, family_ties=RegistryFamilyTies(), access_log=TrackerAccessLog())
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
            integrity=integrity,  # fair assignment, recusal, four-eyes
        )
        deadlines.on_calendar_change(cases.recompute_for_calendar_change)  # due dates move with the calendar
        notifications = Notifications(db, timezone=settings.timezone)
        cases.add_event_handler(notifications.on_case_event)  # outbox rows, in the same transaction
        live = LiveUpdates(db, cases, heartbeat_seconds=settings.live_heartbeat_seconds)
        cases.add_event_handler(live.on_case_event)  # live signals, sent after the commit
        log_key = LogKeySource(settings.ledger_key_file, settings.data_dir, production=settings.is_production)
        ledger = Ledger(
            db,
            keys=log_key,
            origin=settings.ledger_origin,
            cases=cases,
            timestamper=PkiTimestamps(pki) if settings.ledger_timestamps else None,
            acceptable_failure=dt.timedelta(seconds=settings.ledger_acceptable_failure_seconds)
            if settings.ledger_acceptable_failure_seconds
            else None,
        )
        # the event's leaf, in the same transaction (a bulk operation's leaves in one statement per batch)
        cases.add_event_handler(ledger.record_case_event, batch=ledger.record_case_events)
        archive = Archive(
            db,
            blobs,
            ledger,
            schedule=load_schedule(settings.archive_retention_file),
            schedule_source=settings.archive_retention_file,
        )
        field_keys = FieldKeys(
            settings.field_keys.get_secret_value() if settings.field_keys else None,
            settings.blind_index_key.get_secret_value() if settings.blind_index_key else None,
            secret_key=settings.secret_key,
            production=settings.is_production,
        )
        registries = Registries(db, field_keys)
        privacy = Privacy(db, pki)
        ledger.add_subject_source(LeafKind.access_record, ACCESS_RECORDS)  # verify-log checks each access record
        cases.add_read_handler(privacy.on_case_read)  # every read of a case by others: an access record
        pki.read_handlers.append(privacy.on_certificates_read)  # certificates name their holders
        mediator = Mediator(
            db, registries, pki, cases, clock_skew=dt.timedelta(seconds=settings.mediator_clock_skew_seconds)
        )
        privacy.withdrawal_handlers.append(mediator.destroy_consented_content)  # ZRU-547 Art. 17
        automation = Automation(db, cases, gateway=MediatorGateway(mediator), timezone=settings.timezone)
        cases.add_event_handler(automation.on_case_event)  # queues a registered case's process, same transaction
        rollups = Rollups(timezone=settings.timezone)
        cases.add_event_handler(rollups.on_case_event)  # the statistics, in the same transaction
        ratings = Ratings(db, clock=lambda: cases.clock())  # the cases' clock: one notion of now
        ratings.on_rated(rollups.on_rating)
        return cls(
            settings=settings,
            db=db,
            passwords=Passwords(
                settings.argon2_time_cost, settings.argon2_memory_kib, parallel=settings.argon2_parallel
            ),
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
            archive=archive,
            registries=registries,
            privacy=privacy,
            mediator=mediator,
            rights=SubjectRights(privacy, mediator, cases),
            automation=automation,
            ratings=ratings,
            rollups=rollups,
            statistics=Statistics(
                db, timezone=settings.timezone, small_number=settings.stats_small_number, clock=lambda: cases.clock()
            ),
            integrity=integrity,
        )
