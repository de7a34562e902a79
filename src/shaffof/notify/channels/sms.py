"""SMS through an HTTP webhook of the operator's SMS gateway (``POST`` JSON with httpx).

Request: ``{"to": "+998…", "text": "…", "reference": "notification-<id>", "language": "uz"}`` with
``Authorization: Bearer <SHAFFOF_SMS_WEBHOOK_TOKEN>`` when set and ``Idempotency-Key: notification-<id>``
so a gateway can drop a retried duplicate. A 2xx reply is delivered; 408, 429, 5xx and network errors are
temporary; any other status is permanent. No URL configured: the SMS is a permanent failure with the reason
"no sms gateway configured" (docs/notifications.md says why it is not kept waiting).
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from shaffof.notify.channels import absolute_link
from shaffof.notify.interfaces import OutgoingMessage, PermanentFailure, TemporaryFailure
from shaffof.notify.models import NotificationChannel

NOT_CONFIGURED = "no sms gateway configured"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class SmsWebhookChannel:
    channel = NotificationChannel.sms
    ready = True  # without a gateway every SMS fails permanently, at once, rather than waiting

    def __init__(
        self,
        *,
        url: str | None,
        token: SecretStr | None = None,
        public_url: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._token = token
        self.public_url = public_url
        self.timeout = timeout
        self._transport = transport

    def text(self, message: OutgoingMessage) -> str:
        link = absolute_link(self.public_url, message.link)
        return f"{message.subject} {link}" if link else message.subject

    def send(self, message: OutgoingMessage) -> None:
        if not self.url:
            raise PermanentFailure(NOT_CONFIGURED)
        reference = f"notification-{message.notification_id}"
        headers = {"Idempotency-Key": reference}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        payload = {
            "to": message.address,
            "text": self.text(message),
            "reference": reference,
            "language": message.language,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"SMS gateway unreachable: {type(error).__name__}: {error}") from None
        if response.is_success:
            return
        reason = f"SMS gateway replied HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)
