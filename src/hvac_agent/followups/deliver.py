"""Carry out one claimed delivery on its channel and say how it went (`Result`).

Every rule about whether to send at all lives here, checked at the moment of sending: nobody who
opted out is texted (even if they opted out after the event), a reminder for a visit that was
cancelled or moved is dropped, and an attempt in doubt is checked before it is repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile
from hvac_agent.followups import digest, exports, texts
from hvac_agent.followups.consent import ConsentStore
from hvac_agent.followups.errors import DeliveryError
from hvac_agent.followups.mailer import Mailer
from hvac_agent.followups.store import Claimed, Result
from hvac_agent.followups.summary import LlmSummariser
from hvac_agent.followups.twilio_sms import OPTED_OUT_CODE, TwilioMessaging
from hvac_agent.followups.webhooks import WebhookSender
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.followups")


@dataclass
class Channels:
    """The configured outside services; a missing one means its deliveries cannot be made."""

    sms: TwilioMessaging | None = None
    webhooks: WebhookSender | None = None
    mailer: Mailer | None = None
    summariser: LlmSummariser | None = None

    async def aclose(self) -> None:
        for client in (self.sms, self.webhooks, self.summariser):
            if client is not None:
                await client.aclose()


class Deliverer:
    def __init__(
        self,
        *,
        channels: Channels,
        profile: BusinessProfile,
        consent: ConsentStore,
        booking: BookingService,
        records: CallRecords,
        engine: AsyncEngine,
        clock: Clock,
    ) -> None:
        self.channels = channels
        self.engine = engine
        self.profile = profile
        self.consent = consent
        self.booking = booking
        self.records = records
        self.clock = clock
        self._handlers: dict[str, Callable[[Claimed], Awaitable[Result]]] = {
            "sms_caller": self._sms_caller,
            "sms_reminder": self._sms_reminder,
            "sms_alert": self._sms_alert,
            "alert_webhook": self._alert_webhook,
            "export_webhook": self._export_webhook,
            "summary": self._summary,
            "email_digest": self._email_digest,
        }

    async def deliver(self, claimed: Claimed) -> Result:
        handler = self._handlers.get(claimed.channel)
        if handler is None:
            return Result("dead", f"unknown channel {claimed.channel}")
        try:
            return await handler(claimed)
        except DeliveryError as error:
            return Result("retry" if error.retryable else "dead", str(error), in_doubt=error.in_doubt)

    # ---- texts -------------------------------------------------------------------------------

    async def _sms_caller(self, claimed: Claimed) -> Result:
        if claimed.event_kind == "booked":
            phone = claimed.payload["appointment"]["phone"]
            source = f"booking:{claimed.payload['appointment'].get('call_sid') or ''}"
            await self.consent.record(phone, "opted_in", source, self.clock.now(), keep_opt_out=True)
        body = texts.caller_text(claimed.event_kind, claimed.payload, self.profile)
        return await self._text(claimed, body, caller=True)

    async def _sms_reminder(self, claimed: Claimed) -> Result:
        planned = claimed.payload["appointment"]
        current = await self.booking.get_appointment(int(planned["id"]))
        if (
            current is None
            or current.status != "booked"
            or (current.date.isoformat(), current.window) != (planned["date"], planned["window"])
        ):
            return Result("skipped", "the visit was cancelled or moved")
        body = texts.reminder_text(current.model_dump(mode="json"), self.profile)
        return await self._text(claimed, body, caller=True)

    async def _sms_alert(self, claimed: Claimed) -> Result:
        return await self._text(claimed, texts.alert_text(claimed.event_kind, claimed.payload), caller=False)

    async def _text(self, claimed: Claimed, body: str, *, caller: bool) -> Result:
        sms = self.channels.sms
        if sms is None:
            return Result("retry", "SMS is not configured")
        to = claimed.target
        if caller and await self.consent.status(to) == "opted_out":
            return Result("skipped", "opted out")
        if claimed.in_doubt:
            sent = await sms.find_sent(to, body, claimed.created_at)
            if sent:
                return Result("delivered", "found already sent", provider_ref=sent)
        try:
            sid = await sms.send(to, body)
        except DeliveryError as error:
            if error.code == OPTED_OUT_CODE:
                await self.consent.record(to, "opted_out", "twilio:21610", self.clock.now())
                return Result("skipped", "opted out (Twilio 21610)")
            raise
        return Result("delivered", provider_ref=sid)

    # ---- webhooks ----------------------------------------------------------------------------

    async def _alert_webhook(self, claimed: Claimed) -> Result:
        payload = texts.alert_payload(claimed.event_kind, claimed.event_key, claimed.payload, claimed.created_at)
        return await self._post(claimed, payload)

    async def _export_webhook(self, claimed: Claimed) -> Result:
        payload = exports.job_payload(
            claimed.event_kind, claimed.event_key, claimed.payload, self.profile, claimed.created_at
        )
        return await self._post(claimed, payload)

    async def _post(self, claimed: Claimed, payload: dict[str, Any]) -> Result:
        if self.channels.webhooks is None:
            return Result("retry", "webhooks are not configured")
        status = await self.channels.webhooks.post(
            claimed.target, message_id=claimed.idempotency_key, event_type=str(payload["type"]), payload=payload
        )
        return Result("delivered", provider_ref=status)

    # ---- summary, digest ---------------------------------------------------------------------

    async def _summary(self, claimed: Claimed) -> Result:
        summariser = self.channels.summariser
        if summariser is None:
            return Result("skipped", "no LLM configured")
        call_sid = str(claimed.payload.get("call_sid") or "")
        record = await self.records.get_call(call_sid)
        if record is None:
            return Result("skipped", "call record gone")
        facts = {**claimed.payload, "outcome": record["outcome"]}
        try:
            text = await summariser.summarise(facts, record["turns"])
        except Exception as error:
            raise DeliveryError(f"llm: {type(error).__name__}", retryable=True) from error
        await self.records.set_summary(call_sid, text)
        return Result("delivered")

    async def _email_digest(self, claimed: Claimed) -> Result:
        if self.channels.mailer is None:
            return Result("retry", "SMTP is not configured")
        day = dt.date.fromisoformat(claimed.payload["date"])
        subject, text = await digest.compose(self.engine, self.profile, day)
        ref = await self.channels.mailer.send(
            to=claimed.target, subject=subject, text=text, message_id=claimed.idempotency_key
        )
        return Result("delivered", provider_ref=ref)
