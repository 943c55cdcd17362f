"""Email over SMTP (the daily digest), configured by one URL: `smtp://user:pass@host:587`
(STARTTLS when the server offers it) or `smtps://…:465` (TLS from the start)."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from hvac_agent.followups.errors import DeliveryError

SMTP_TIMEOUT_S = 20.0


class Mailer:
    def __init__(self, smtp_url: str, sender: str) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("HVAC_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
        self._host = parts.hostname
        self._tls = parts.scheme == "smtps"
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.sender = sender

    async def send(self, *, to: str, subject: str, text: str, message_id: str) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        # Stable across retries, so a mail client can fold a repeated digest into one.
        message["Message-ID"] = f"<{message_id}@hvac-agent>"
        message.set_content(text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._user,
                password=self._password,
                use_tls=self._tls,
                timeout=SMTP_TIMEOUT_S,
            )
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryError(f"smtp {error.code}", retryable=not 500 <= error.code < 600, code=error.code) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"smtp: {type(error).__name__}", retryable=True) from error
        return message_id
