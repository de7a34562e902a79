"""E-mail over SMTP (``smtplib``): STARTTLS and login when configured, one connection per message.

SMTP replies decide the outcome: a recipient or content refused with a 5xx reply is a permanent failure
(retrying cannot help); everything else — connection refused, timeouts, 4xx replies, authentication or
TLS trouble on our side — is temporary, so the message waits and is retried with backoff. The password
never reaches a log line or a stored error.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from pydantic import SecretStr

from shaffof.notify.channels import absolute_link
from shaffof.notify.interfaces import OutgoingMessage, PermanentFailure, TemporaryFailure
from shaffof.notify.models import NotificationChannel


class SmtpChannel:
    channel = NotificationChannel.email

    def __init__(
        self,
        *,
        host: str | None,
        port: int = 587,
        user: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = True,
        sender: str,
        timeout: float = 30.0,
        public_url: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        self.starttls = starttls
        self.sender = sender
        self.timeout = timeout
        self.public_url = public_url

    @property
    def ready(self) -> bool:
        return bool(self.host)

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        # A stable Message-ID: if a retry follows a send whose acknowledgement was lost, mail systems and
        # clients can recognise the copy.
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "shaffof.localhost"
        email["Message-ID"] = f"<notification-{message.notification_id}@{domain}>"
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to notices
        link = absolute_link(self.public_url, message.link)
        email.set_content(message.body + (f"\n\n{link}\n" if link else "\n"))
        email["Content-Language"] = message.language  # after set_content, which resets Content-* headers
        return email

    def send(self, message: OutgoingMessage) -> None:
        if not self.host:
            raise TemporaryFailure("no SMTP host configured (SHAFFOF_SMTP_HOST)")
        try:
            email = self.compose(message)
        except ValueError as error:  # e.g. an address with a line break: no retry can fix it
            raise PermanentFailure(f"the message cannot be composed: {error}") from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self._password.get_secret_value() if self._password else "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            reason = "recipient refused: " + "; ".join(_reply(code, text) for code, text in replies)
            if replies and all(code >= 500 for code, _ in replies):
                raise PermanentFailure(reason) from None
            raise TemporaryFailure(reason) from None
        except smtplib.SMTPAuthenticationError as error:
            raise TemporaryFailure(
                f"SMTP login refused ({error.smtp_code}); check SHAFFOF_SMTP_USER/PASSWORD"
            ) from None
        except smtplib.SMTPDataError as error:
            reason = f"message refused: {_reply(error.smtp_code, error.smtp_error)}"
            if error.smtp_code >= 500:
                raise PermanentFailure(reason) from None
            raise TemporaryFailure(reason) from None
        except smtplib.SMTPResponseException as error:
            raise TemporaryFailure(f"SMTP server replied {_reply(error.smtp_code, error.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError:
            raise TemporaryFailure("the SMTP server does not offer STARTTLS (SHAFFOF_SMTP_STARTTLS)") from None
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(
                f"SMTP {self.host}:{self.port} unreachable: {type(error).__name__}: {error}"
            ) from None


def _reply(code: int, text: bytes | str) -> str:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {detail}".strip()[:500]
