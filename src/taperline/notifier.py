"""Channels that carry a message out of Taperline. `Notifier` is the seam: email over SMTP
today; SMS or push would be another class with the same `send`."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from taperline.config import Settings

log = logging.getLogger("taperline.notifier")


@dataclass(frozen=True, slots=True)
class Outgoing:
    to: str
    subject: str
    text: str
    message_id: str  # stable per job: a resend after a crash carries the same id


class DeliveryFailed(Exception):
    """The channel did not take the message; the job is retried later."""


class Notifier(Protocol):
    def send(self, message: Outgoing) -> None: ...


class SmtpNotifier:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = (
            username,
            password,
            starttls,
            timeout,
        )

    def send(self, message: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message.message_id
        email.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"mail server {self.host}:{self.port}: {error}") from error


class LogNotifier:
    """No mail server configured: the email is written to the log instead (development, demo)."""

    def send(self, message: Outgoing) -> None:
        log.info(
            "email (no TAPERLINE_SMTP_HOST set, not sent) to=%s subject=%r\n%s",
            message.to,
            message.subject,
            message.text,
        )


def from_settings(settings: Settings) -> Notifier:
    if not settings.smtp_host:
        return LogNotifier()
    return SmtpNotifier(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
    )
