"""The contract of a delivery channel (SMTP, SMS webhook, or a test double) and its two failure kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shaffof.notify.models import NotificationChannel


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    channel: NotificationChannel
    address: str
    language: str
    subject: str
    body: str
    link: str | None  # a path such as /cases/N; channels make it absolute with the public URL


class DeliveryFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailed):
    """Try again later (server down, timeout, 4xx SMTP reply, HTTP 429/5xx)."""


class PermanentFailure(DeliveryFailed):
    """Retrying cannot help (address refused, gateway rejects the request, channel not configured)."""


class DeliveryChannel(Protocol):
    """Delivers one message, or raises :class:`TemporaryFailure` / :class:`PermanentFailure`."""

    channel: NotificationChannel

    @property
    def ready(self) -> bool:
        """False when the channel cannot send at all yet (e-mail without an SMTP host): its messages wait."""
        ...

    def send(self, message: OutgoingMessage) -> None: ...
