"""Follow-up fixtures: the real app on uvicorn with the outbox dispatcher running in-process, a fake
Twilio Messaging API, a webhook receiver and an SMTP server — every one over real sockets."""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from hvac_agent.clock import FixedClock
from tests.e2e.conftest import AUTH_TOKEN, NOW, Server, make_settings
from tests.fakes.fake_twilio_messaging import ACCOUNT_SID, FakeTwilioMessaging
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.server import app_server, free_port

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"office-webhook-secret-0123456789").decode()
SMS_FROM = "+15125550199"
OFFICE_ALERTS = "+15125550177"
DIGEST_TO = "office@example.com"


class Mailbox:
    """An SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Stack:
    server: Server
    twilio: FakeTwilioMessaging
    receiver: WebhookReceiver
    mailbox: Mailbox
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def clock(self) -> FixedClock:
        return self.server.clock

    def followups(self, **params: str) -> list[dict[str, Any]]:
        return httpx.get(self.server.base_url + "/api/followups", params=params, timeout=10).json()  # type: ignore[no-any-return]

    def text_in(self, sender: str, body: str) -> httpx.Response:
        return self.twilio.text_in(self.server.base_url, self.server.base_url, sender, body)


def wait_for(check: Callable[[], Any], timeout_s: float = 15.0, what: str = "condition") -> Any:
    """Poll until `check()` is truthy (the dispatcher works in the server's own thread)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def followup_settings(
    tmp_path: Path,
    port: int,
    twilio: FakeTwilioMessaging,
    receiver: WebhookReceiver,
    mailbox: Mailbox,
    **overrides: Any,
) -> Any:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "sms_from": SMS_FROM,
        "twilio_api_url": twilio.api_url,
        "alert_sms_to": OFFICE_ALERTS,
        "alert_webhook_url": receiver.url,
        "export_webhook_url": receiver.url,
        "webhook_secret": WEBHOOK_SECRET,
        "smtp_url": f"smtp://127.0.0.1:{mailbox.port}",
        "digest_to": DIGEST_TO,
        "outbox_poll_s": 0.05,
        "outbox_retry_base_s": 30.0,
    }
    values.update(overrides)
    return make_settings(tmp_path, port, **values)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    mailbox = Mailbox()
    mailbox.controller.start()
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    receiver.up()
    try:
        with FakeTwilioMessaging(AUTH_TOKEN) as twilio:
            settings = functools.partial(followup_settings, tmp_path, twilio=twilio, receiver=receiver, mailbox=mailbox)
            with app_server(settings, clock=FixedClock(NOW)) as server:
                yield Stack(server, twilio, receiver, mailbox)
    finally:
        receiver.down()
        mailbox.controller.stop()
