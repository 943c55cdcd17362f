"""Bookings in the shape field-service tools take in (customer, location, job type, schedule
window, notes), for the export webhook — and as iCal events for the office calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from icalendar import Calendar, Event

from hvac_agent.config import BusinessProfile

_JOB_STATUS = {"booked": "scheduled", "rescheduled": "scheduled", "cancelled": "canceled"}
_TITLES = {
    "no_heat": "No heat",
    "no_cooling": "No cooling",
    "leak": "Leak",
    "noise": "Noise",
    "smell": "Smell",
    "thermostat": "Thermostat",
    "maintenance": "Maintenance",
    "other": "Service call",
}


def window_bounds(profile: BusinessProfile, date_iso: str, window: str) -> tuple[dt.datetime, dt.datetime]:
    """The arrival window as aware local datetimes."""
    day = dt.date.fromisoformat(date_iso)
    start, _, end = window.partition("-")
    return (
        dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=profile.tz),
        dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=profile.tz),
    )


def _names(full: str) -> tuple[str, str]:
    first, _, last = full.strip().partition(" ")
    return first, last


def job_payload(
    kind: str, event_key: str, payload: dict[str, Any], profile: BusinessProfile, created_at: dt.datetime
) -> dict[str, Any]:
    """`booking.created` / `booking.rescheduled` / `booking.cancelled` with a field-service job."""
    a = payload["appointment"]
    start, end = window_bounds(profile, a["date"], a["window"])
    first, last = _names(a["customer_name"])
    job_type = a.get("job_type") or a["issue_category"]
    job: dict[str, Any] = {
        "external_id": f"hvac-agent-appointment-{a['id']}",
        "status": _JOB_STATUS[kind],
        "job_type": job_type,
        "title": _TITLES.get(a["issue_category"], "Service call"),
        "priority": a["urgency"],
        "customer": {"name": a["customer_name"], "first_name": first, "last_name": last, "mobile_number": a["phone"]},
        "location": {"street": a["address"], "unit": a.get("unit"), "zip": a["zip"], "country": "US"},
        "schedule": {
            "arrival_window_start": start.isoformat(),
            "arrival_window_end": end.isoformat(),
            "window": a["window"],
            "date": a["date"],
            "timezone": profile.timezone,
        },
        "notes": a["issue"],
        "source": {
            "system": "hvac-agent",
            "call_sid": a.get("call_sid"),
            "changed_by_call_sid": payload.get("by_call_sid"),
        },
    }
    if payload.get("previous"):
        job["previous_schedule"] = payload["previous"]
    verb = {"booked": "created"}.get(kind, kind)
    return {
        "type": f"booking.{verb}",
        "id": event_key,
        "occurred_at": created_at.astimezone(dt.UTC).isoformat(),
        "data": {"job": job},
    }


def ical_feed(appointments: list[dict[str, Any]], profile: BusinessProfile, now: dt.datetime) -> bytes:
    """An iCalendar (RFC 5545) feed: one VEVENT per appointment, over its arrival window."""
    calendar = Calendar()
    calendar.add("prodid", "-//hvac-agent//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{profile.name} visits")
    calendar.add("x-wr-timezone", profile.timezone)
    for a in appointments:
        start, end = window_bounds(profile, a["date"], a["window"])
        event = Event()
        event.add("uid", f"appointment-{a['id']}@hvac-agent")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", end)
        title = _TITLES.get(a["issue_category"], "Service call")
        event.add("summary", f"{title} - {a['customer_name']}" + (" (URGENT)" if a["urgency"] != "routine" else ""))
        unit = f" {a['unit']}" if a.get("unit") else ""
        event.add("location", f"{a['address']}{unit}, {a['zip']}")
        event.add(
            "description", f"{a['issue']}\nPhone: {a['phone']}\nUrgency: {a['urgency']}\nArrival window {a['window']}"
        )
        event.add("status", "CANCELLED" if a["status"] == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
