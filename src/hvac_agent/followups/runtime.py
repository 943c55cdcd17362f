"""Building the follow-up machinery from settings, for the server and for `hvac-agent worker`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile, Settings
from hvac_agent.followups.consent import ConsentStore
from hvac_agent.followups.deliver import Channels, Deliverer
from hvac_agent.followups.dispatcher import Dispatcher
from hvac_agent.followups.mailer import Mailer
from hvac_agent.followups.routing import Routes
from hvac_agent.followups.store import OutboxStore
from hvac_agent.followups.summary import LlmSummariser
from hvac_agent.followups.twilio_sms import TwilioMessaging
from hvac_agent.followups.webhooks import WebhookSender


def build_channels(settings: Settings) -> Channels:
    channels = Channels()
    if settings.sms_enabled:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.sms_from
        channels.sms = TwilioMessaging(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            sender=settings.sms_from,
            api_url=settings.twilio_api_url,
        )
    if settings.alert_webhook_url or settings.export_webhook_url:
        channels.webhooks = WebhookSender(settings.webhook_secret)
    if settings.smtp_url:
        channels.mailer = Mailer(settings.smtp_url, settings.digest_from)
    if settings.llm_enabled:
        from hvac_agent.llm.client import LlmClient

        client = LlmClient(base_url=settings.llm_base_url, api_key=settings.llm_api_key, max_tokens=400)
        channels.summariser = LlmSummariser(client, settings.llm_model)
    return channels


@dataclass
class Followups:
    store: OutboxStore
    consent: ConsentStore
    dispatcher: Dispatcher
    channels: Channels
    in_process: bool  # the embedded default: this process delivers; else queue workers do

    async def aclose(self) -> None:
        await self.dispatcher.stop()
        await self.channels.aclose()


def build_followups(
    settings: Settings,
    profile: BusinessProfile,
    *,
    engine: AsyncEngine,
    booking: BookingService,
    records: CallRecords,
    clock: Clock,
    channels: Channels | None = None,
) -> Followups:
    store = OutboxStore(engine, clock, lease_s=settings.outbox_lease_s)
    consent = ConsentStore(engine)
    channels = channels if channels is not None else build_channels(settings)
    deliverer = Deliverer(
        channels=channels,
        profile=profile,
        consent=consent,
        booking=booking,
        records=records,
        engine=engine,
        clock=clock,
    )
    dispatcher = Dispatcher(
        store=store,
        deliverer=deliverer,
        routes=Routes.from_settings(settings, profile),
        profile=profile,
        clock=clock,
        poll_s=settings.outbox_poll_s,
        max_attempts=settings.outbox_max_attempts,
        retry_base_s=settings.outbox_retry_base_s,
    )
    return Followups(
        store=store, consent=consent, dispatcher=dispatcher, channels=channels, in_process=not settings.redis_url
    )
