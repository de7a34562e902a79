"""The outbox worker (``shaffof worker``): claim due notifications, deliver them, record the outcome.

Claiming is one short transaction that moves due rows to ``sending`` and bumps ``attempts``; the new
``next_attempt_at`` is the claim's lease (a worker that dies mid-send leaves its rows to be claimed again
when the lease ends). On PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``, so any number of
workers share the backlog without waiting on each other; on SQLite write transactions are serialised
(``BEGIN IMMEDIATE``) and one worker at a time holds the ``notify-outbox`` lease row — a second worker
stands by. Either way a row is claimed by one worker only, and its outcome is recorded only if that
worker's claim still holds (``attempts`` is the fencing token), so no message is sent twice by two workers.

What cannot be made exactly-once is the moment between the SMTP server accepting a message and the
worker recording it: a crash there sends it again after the lease. E-mails carry a stable Message-ID and
SMS requests an Idempotency-Key so the receiving side can drop such a copy.

Retries: a temporary failure waits ``min(cap, base·2^(n-1))``, half of it fixed and half random (jitter
spreads a burst of retries after an outage), and becomes a permanent failure after ``max_attempts``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from shaffof.config import Settings
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.notify.channels.email import SmtpChannel
from shaffof.notify.channels.sms import SmsWebhookChannel
from shaffof.notify.interfaces import (
    DeliveryChannel,
    DeliveryFailed,
    OutgoingMessage,
    PermanentFailure,
    TemporaryFailure,
)
from shaffof.notify.models import PENDING_SQL, Notification, NotificationChannel, NotificationStatus, WorkerLease
from shaffof.observability import get_logger

log = get_logger("shaffof.notify")

LEASE_NAME = "notify-outbox"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 48
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt (1-based): exponential, capped, jittered."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempts - 1, 32))
        return dt.timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


@dataclass
class PassReport:
    """What one pass did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0  # due messages of channels that cannot send yet (e-mail without an SMTP host)
    standing_by: bool = False  # SQLite: another worker holds the outbox lease


@dataclass(frozen=True)
class _Claim:
    message: OutgoingMessage
    attempt: int


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        channels: Iterable[DeliveryChannel],
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        worker_id: str | None = None,
    ) -> None:
        self._db = db
        self._channels = {channel.channel: channel for channel in channels}
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.lease = lease
        self.clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._single_worker = db.dialect == "sqlite"

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> OutboxWorker:
        channels: list[DeliveryChannel] = [
            SmtpChannel(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                sender=settings.smtp_from,
                timeout=settings.smtp_timeout_seconds,
                public_url=settings.public_url,
            ),
            SmsWebhookChannel(
                url=settings.sms_webhook_url, token=settings.sms_webhook_token, public_url=settings.public_url
            ),
        ]
        return cls(
            db,
            channels,
            retry=RetryPolicy(
                settings.notify_max_attempts, settings.notify_backoff_base_seconds, settings.notify_backoff_cap_seconds
            ),
            batch_size=settings.notify_batch_size,
            lease=dt.timedelta(seconds=settings.notify_sending_lease_seconds),
            clock=clock,
        )

    def not_ready(self) -> list[NotificationChannel]:
        """Channels whose messages wait (unconfigured) — warned about on start."""
        return [name for name, channel in self._channels.items() if not channel.ready]

    # ------------------------------------------------------------------ passes

    def run_once(self, stop: threading.Event | None = None) -> PassReport:
        """Deliver every message due now (in batches; ``stop`` ends the pass after the current batch);
        failures are rescheduled, not retried in this pass."""
        report = PassReport()
        while stop is None or not stop.is_set():
            if self._single_worker and not self._hold_lease():
                report.standing_by = True
                break
            claims = self._claim()
            report.claimed += len(claims)
            for claim in claims:
                self._deliver(claim, report)
            if len(claims) < self.batch_size:
                break
        report.waiting = self._count_waiting()
        return report

    def run(
        self,
        stop: threading.Event,
        *,
        poll_seconds: float = 5.0,
        on_pass: Callable[[PassReport], None] | None = None,
    ) -> None:
        """Pass after pass until ``stop`` is set; sleeps ``poll_seconds`` when a pass found nothing."""
        for channel in self.not_ready():
            log.warning(
                "channel not configured: its messages stay queued until it is",
                channel=channel.value,
                setting="SHAFFOF_SMTP_HOST" if channel is NotificationChannel.email else None,
            )
        try:
            while not stop.is_set():
                try:
                    report = self.run_once(stop)
                except Exception as error:  # the database may be briefly away; keep the worker alive
                    log.exception("outbox pass failed", error_type=type(error).__name__)
                    report = PassReport()
                if on_pass is not None:
                    on_pass(report)
                if report.claimed == 0:
                    stop.wait(poll_seconds)
        finally:
            self.release()

    # ------------------------------------------------------------------ claiming

    def _claim(self) -> list[_Claim]:
        ready = [name for name, channel in self._channels.items() if channel.ready]
        if not ready:
            return []
        now = self.clock()
        with self._db.uow() as uow:
            rows = uow.session.scalars(
                sa.select(Notification)
                .where(sa.text(PENDING_SQL), Notification.next_attempt_at <= now, Notification.channel.in_(ready))
                .order_by(Notification.next_attempt_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            claims = []
            for row in rows:
                row.status = NotificationStatus.sending
                row.attempts += 1
                row.next_attempt_at = now + self.lease
                assert row.address is not None
                claims.append(
                    _Claim(
                        OutgoingMessage(
                            notification_id=row.id,
                            channel=row.channel,
                            address=row.address,
                            language=row.language,
                            subject=row.subject,
                            body=row.body,
                            link=row.link,
                        ),
                        row.attempts,
                    )
                )
            uow.commit()
        return claims

    def _count_waiting(self) -> int:
        waiting = self.not_ready()
        if not waiting:
            return 0
        with self._db.reading() as session:
            return int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Notification)
                    .where(sa.text(PENDING_SQL), Notification.channel.in_(waiting))
                )
                or 0
            )

    # ------------------------------------------------------------------ delivering

    def _deliver(self, claim: _Claim, report: PassReport) -> None:
        message = claim.message
        try:
            self._channels[message.channel].send(message)
        except PermanentFailure as failure:
            self._record_failure(claim, failure, permanent=True, report=report)
        except TemporaryFailure as failure:
            self._record_failure(claim, failure, permanent=False, report=report)
        except Exception as error:  # a bug in a channel must not lose the message: retry it later
            log.exception("channel error", notification_id=message.notification_id, channel=message.channel.value)
            internal = TemporaryFailure(f"internal error: {type(error).__name__}")
            self._record_failure(claim, internal, permanent=False, report=report)
        else:
            now = self.clock()
            self._record(
                claim,
                status=NotificationStatus.delivered,
                delivered_at=now,
                next_attempt_at=None,
                last_error=None,
            )
            report.delivered += 1
            log.info(
                "notification delivered",
                notification_id=message.notification_id,
                channel=message.channel.value,
                attempt=claim.attempt,
            )

    def _record_failure(self, claim: _Claim, failure: DeliveryFailed, *, permanent: bool, report: PassReport) -> None:
        message = claim.message
        reason = failure.reason[:1000]
        if not permanent and claim.attempt >= self.retry.max_attempts:
            permanent, reason = True, f"gave up after {claim.attempt} attempts; last: {reason}"[:1000]
        if permanent:
            self._record(claim, status=NotificationStatus.permanent_failure, next_attempt_at=None, last_error=reason)
            report.failed += 1
            log.error(
                "notification failed permanently",
                notification_id=message.notification_id,
                channel=message.channel.value,
                reason=reason,
            )
            return
        retry_at = self.clock() + self.retry.delay(claim.attempt, self._rng)
        self._record(claim, status=NotificationStatus.temporary_failure, next_attempt_at=retry_at, last_error=reason)
        report.retrying += 1
        log.warning(
            "notification will be retried",
            notification_id=message.notification_id,
            channel=message.channel.value,
            attempt=claim.attempt,
            retry_at=retry_at.isoformat(),
            reason=reason,
        )

    def _record(self, claim: _Claim, **values: object) -> None:
        """Write the outcome if this worker's claim still holds (nobody re-claimed the row meanwhile)."""
        with self._db.uow() as uow:
            result = uow.session.execute(
                sa.update(Notification)
                .where(
                    Notification.id == claim.message.notification_id,
                    Notification.status == NotificationStatus.sending,
                    Notification.attempts == claim.attempt,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            uow.commit()
        if getattr(result, "rowcount", 1) == 0:
            log.warning("claim lost before the outcome was recorded", notification_id=claim.message.notification_id)

    # ------------------------------------------------------------------ the SQLite single-worker lease

    def _hold_lease(self) -> bool:
        """Take or renew the ``notify-outbox`` lease; False if another live worker holds it."""
        now = self.clock()
        with self._db.uow() as uow:
            uow.session.execute(
                sqlite.insert(WorkerLease)
                .values(name=LEASE_NAME, holder=self.worker_id, acquired_at=now, expires_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            result = uow.session.execute(
                sa.update(WorkerLease)
                .where(
                    WorkerLease.name == LEASE_NAME,
                    sa.or_(WorkerLease.holder == self.worker_id, WorkerLease.expires_at <= now),
                )
                .values(
                    holder=self.worker_id,
                    expires_at=now + self.lease,
                    acquired_at=sa.case((WorkerLease.holder == self.worker_id, WorkerLease.acquired_at), else_=now),
                )
                .execution_options(synchronize_session=False)
            )
            uow.commit()
        return bool(getattr(result, "rowcount", 0))

    def release(self) -> None:
        """Give the lease up (on shutdown), so a standby worker takes over at once."""
        if not self._single_worker:
            return
        with self._db.uow() as uow:
            uow.session.execute(
                sa.update(WorkerLease)
                .where(WorkerLease.name == LEASE_NAME, WorkerLease.holder == self.worker_id)
                .values(expires_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            uow.commit()
