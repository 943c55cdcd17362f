"""Which deliveries an event needs, and when: pure, from the event and what is configured.

Routing happens when the dispatcher first picks an event up (not when it is written), so the
booking transaction needs no configuration, and a channel configured later still applies to events
that have not been routed yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from hvac_agent.config import BusinessProfile, Settings

Channel = Literal[
    "sms_caller", "sms_reminder", "sms_alert", "alert_webhook", "export_webhook", "summary", "email_digest"
]
CALLER_TEXTS = frozenset({"booked", "rescheduled", "cancelled"})
OFFICE_ALERTS = frozenset({"emergency", "message", "transfer_unanswered"})


@dataclass(frozen=True, slots=True)
class Routes:
    """What is configured: each empty field switches a channel off."""

    timezone: str
    sms: bool = False
    alert_sms_to: tuple[str, ...] = ()
    oncall_number: str | None = None
    alert_webhook_url: str | None = None
    export_webhook_url: str | None = None
    digest_to: tuple[str, ...] = ()
    llm_summary: bool = False
    reminder_hour: int = 17
    digest_hour: int = 18

    @classmethod
    def from_settings(cls, settings: Settings, profile: BusinessProfile) -> Routes:
        return cls(
            timezone=profile.timezone,
            sms=settings.sms_enabled,
            alert_sms_to=_split(settings.alert_sms_to),
            oncall_number=profile.oncall_number or None,
            alert_webhook_url=settings.alert_webhook_url or None,
            export_webhook_url=settings.export_webhook_url or None,
            digest_to=_split(settings.digest_to) if settings.smtp_url else (),
            llm_summary=settings.llm_enabled,
            reminder_hour=settings.sms_reminder_hour,
            digest_hour=settings.digest_hour,
        )


@dataclass(frozen=True, slots=True)
class Planned:
    channel: Channel
    target: str
    not_before: dt.datetime


def plan(kind: str, payload: dict[str, Any], now: dt.datetime, routes: Routes) -> list[Planned]:
    """The deliveries for one event."""
    out: list[Planned] = []
    if kind in CALLER_TEXTS:
        appointment = payload["appointment"]
        phone = appointment.get("phone")
        if routes.sms and phone:
            out.append(Planned("sms_caller", phone, now))
            reminder = reminder_time(dt.date.fromisoformat(appointment["date"]), routes)
            if kind != "cancelled" and reminder > now:
                out.append(Planned("sms_reminder", phone, reminder))
        if routes.export_webhook_url:
            out.append(Planned("export_webhook", routes.export_webhook_url, now))
    elif kind in OFFICE_ALERTS:
        if routes.sms:
            for number in alert_numbers(kind, payload, routes):
                out.append(Planned("sms_alert", number, now))
        if routes.alert_webhook_url:
            out.append(Planned("alert_webhook", routes.alert_webhook_url, now))
    elif kind == "call_ended":
        if routes.llm_summary:
            out.append(Planned("summary", "llm", now))
    elif kind == "digest":
        send_at = digest_time(dt.date.fromisoformat(payload["date"]), routes)
        out.extend(Planned("email_digest", address, send_at) for address in routes.digest_to)
    return out


def alert_numbers(kind: str, payload: dict[str, Any], routes: Routes) -> list[str]:
    """The office's alert numbers; for an emergency the on-call technician's too."""
    numbers = list(routes.alert_sms_to)
    emergency = kind == "emergency" or payload.get("outcome") == "emergency"
    if emergency and routes.oncall_number and routes.oncall_number not in numbers:
        numbers.insert(0, routes.oncall_number)
    return numbers


def reminder_time(visit_date: dt.date, routes: Routes) -> dt.datetime:
    """The day before the visit, at the configured local hour."""
    day_before = visit_date - dt.timedelta(days=1)
    return dt.datetime.combine(day_before, dt.time(routes.reminder_hour), tzinfo=ZoneInfo(routes.timezone))


def digest_time(day: dt.date, routes: Routes) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(routes.digest_hour), tzinfo=ZoneInfo(routes.timezone))


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())
