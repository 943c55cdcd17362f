"""What the follow-ups say: texts to callers and the office, webhook payloads. Pure functions.

Caller texts never invite "reply CANCEL": CANCEL is a carrier opt-out keyword, so a caller who
used it to cancel a visit would stop all texts instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hvac_agent.config import BusinessProfile

OPT_OUT_HINT = "Reply STOP to opt out."


def when(date_iso: str, window: str) -> str:
    """`Thu Dec 3, 8 AM-12 PM` from a contract date and window."""
    day = dt.date.fromisoformat(date_iso)
    start, _, end = window.partition("-")
    return f"{day:%a %b} {day.day}, {_clock(start)}-{_clock(end)}"


def _clock(hhmm: str) -> str:
    t = dt.time.fromisoformat(hhmm)
    hour = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour}:{t.minute:02d} {suffix}" if t.minute else f"{hour} {suffix}"


def _place(a: dict[str, Any]) -> str:
    unit = f" {a['unit']}" if a.get("unit") else ""
    return f"{a['address']}{unit}"


def caller_text(kind: str, payload: dict[str, Any], profile: BusinessProfile) -> str:
    """The confirmation after booking, or the change after a reschedule or cancel."""
    a = payload["appointment"]
    if kind == "booked":
        lead = (
            f"{profile.name}: your visit is booked for {when(a['date'], a['window'])} at {_place(a)}. "
            f"The technician arrives within that window; the dispatch fee is ${profile.dispatch_fee}."
        )
    elif kind == "rescheduled":
        lead = f"{profile.name}: your visit at {_place(a)} is moved to {when(a['date'], a['window'])}."
    else:
        lead = f"{profile.name}: your visit on {when(a['date'], a['window'])} at {_place(a)} is cancelled."
    return f"{lead} Questions? Call {profile.transfer_number}. {OPT_OUT_HINT}"


def reminder_text(appointment: dict[str, Any], profile: BusinessProfile) -> str:
    a = appointment
    return (
        f"{profile.name}: reminder, your technician visit is tomorrow, {when(a['date'], a['window'])}, "
        f"at {_place(a)}. To change it, call {profile.transfer_number}. {OPT_OUT_HINT}"
    )


def help_text(profile: BusinessProfile) -> str:
    return (
        f"{profile.name}: texts about your service visits. For help call {profile.transfer_number}. "
        f"Msg & data rates may apply. {OPT_OUT_HINT}"
    )


def other_reply(profile: BusinessProfile) -> str:
    return (
        f"{profile.name}: this number only sends visit texts. "
        f"To book or change a visit, call {profile.transfer_number}."
    )


_ALERT_LEADS = {
    "emergency": "EMERGENCY call",
    "message": "New message",
    "transfer_unanswered": "Missed transfer",
}


def alert_text(kind: str, facts: dict[str, Any]) -> str:
    """One SMS for the office or on-call: what happened, who, where, how to call back."""
    lead = _ALERT_LEADS.get(kind, kind)
    if kind == "transfer_unanswered" and facts.get("outcome") == "emergency":
        lead = "EMERGENCY transfer NOT answered"
    parts = [lead]
    if facts.get("emergency"):
        parts.append(str(facts["emergency"]).replace("_", " "))
    who = " ".join(str(v) for v in (facts.get("name"), facts.get("phone")) if v)
    if who:
        parts.append(who)
    if facts.get("address"):
        parts.append(f"{facts['address']} {facts.get('zip') or ''}".strip())
    if facts.get("issue"):
        parts.append(str(facts["issue"]))
    if facts.get("message"):
        parts.append(f"msg: {facts['message']}")
    return " - ".join(parts)[:600]


def alert_payload(kind: str, event_key: str, facts: dict[str, Any], created_at: dt.datetime) -> dict[str, Any]:
    """The office alert webhook's body."""
    return {
        "type": f"call.{kind}",
        "id": event_key,
        "occurred_at": created_at.astimezone(dt.UTC).isoformat(),
        "data": facts,
    }
