"""Channels: how an e-mail is composed, how the SMS gateway's replies are judged."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from shaffof.notify.channels.email import SmtpChannel
from shaffof.notify.channels.sms import NOT_CONFIGURED, SmsWebhookChannel
from shaffof.notify.interfaces import OutgoingMessage, PermanentFailure, TemporaryFailure
from shaffof.notify.models import NotificationChannel

MESSAGE = OutgoingMessage(
    notification_id=17,
    channel=NotificationChannel.email,
    address="aziza@example.uz",
    language="ru",
    subject="По вашему обращению принято решение: TOSHHOK-2026-000042",
    body="Решение по вашему обращению TOSHHOK-2026-000042: удовлетворено.",
    link="/cases/TOSHHOK-2026-000042",
)
SMS = OutgoingMessage(**{**MESSAGE.__dict__, "channel": NotificationChannel.sms, "address": "+998901234567"})


def test_email_carries_language_stable_message_id_and_absolute_link() -> None:
    channel = SmtpChannel(
        host="mail.example.uz", sender="Shaffof <no-reply@my.gov.uz>", public_url="https://my.gov.uz/"
    )
    email = channel.compose(MESSAGE)
    assert email["To"] == "aziza@example.uz"
    assert email["Subject"] == MESSAGE.subject
    assert email["Content-Language"] == "ru"
    assert email["Message-ID"] == "<notification-17@my.gov.uz>"
    assert email["Auto-Submitted"] == "auto-generated"
    assert "https://my.gov.uz/cases/TOSHHOK-2026-000042" in email.get_content()


def test_email_without_a_host_is_not_ready_and_never_sends() -> None:
    channel = SmtpChannel(host=None, sender="no-reply@example.uz")
    assert not channel.ready
    with pytest.raises(TemporaryFailure):
        channel.send(MESSAGE)


def test_smtp_password_is_not_in_the_channels_repr_or_errors() -> None:
    channel = SmtpChannel(
        host="127.0.0.1", port=1, user="u", password=SecretStr("hunter2-secret"), sender="no-reply@example.uz"
    )
    with pytest.raises(TemporaryFailure) as failure:
        channel.send(MESSAGE)  # nothing listens on port 1
    assert "hunter2" not in failure.value.reason
    assert "hunter2" not in repr(vars(channel))


def gateway(status: int, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={"status": status})

    return httpx.MockTransport(handler)


def test_sms_posts_json_with_token_and_idempotency_key() -> None:
    seen: list[httpx.Request] = []
    channel = SmsWebhookChannel(
        url="https://sms.example.uz/send",
        token=SecretStr("gateway-token"),
        public_url="https://my.gov.uz",
        transport=gateway(202, seen),
    )
    channel.send(SMS)
    (request,) = seen
    assert request.headers["Authorization"] == "Bearer gateway-token"
    assert request.headers["Idempotency-Key"] == "notification-17"
    body = json.loads(request.content)
    assert body["to"] == "+998901234567" and body["language"] == "ru"
    assert body["text"] == f"{SMS.subject} https://my.gov.uz/cases/TOSHHOK-2026-000042"


@pytest.mark.parametrize(
    ("status", "failure"), [(429, TemporaryFailure), (503, TemporaryFailure), (400, PermanentFailure)]
)
def test_sms_gateway_replies_decide_retry_or_give_up(status: int, failure: type[Exception]) -> None:
    channel = SmsWebhookChannel(url="https://sms.example.uz/send", transport=gateway(status, []))
    with pytest.raises(failure):
        channel.send(SMS)


def test_sms_network_error_is_temporary_and_no_gateway_is_permanent() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(TemporaryFailure):
        SmsWebhookChannel(url="https://sms.example.uz/send", transport=httpx.MockTransport(refuse)).send(SMS)
    with pytest.raises(PermanentFailure, match=NOT_CONFIGURED):
        SmsWebhookChannel(url=None).send(SMS)


def test_an_address_that_cannot_be_a_header_fails_permanently() -> None:
    channel = SmtpChannel(host="127.0.0.1", port=1, sender="no-reply@example.uz")
    broken = OutgoingMessage(**{**MESSAGE.__dict__, "address": "aziza@example.uz\r\nBcc: someone@example.uz"})
    with pytest.raises(PermanentFailure, match="cannot be composed"):
        channel.send(broken)
