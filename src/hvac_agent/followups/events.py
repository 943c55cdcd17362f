"""Events that need follow-up, as written into the outbox: pure builders, no I/O.

An event's payload is everything its deliveries will need later (the appointment as it was, the
caller's words, the call's facts), so a delivery never depends on a session that has since expired.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from hvac_agent.dialogue.state import CallState

EventKind = Literal[
    "booked", "rescheduled", "cancelled", "emergency", "message", "transfer_unanswered", "call_ended", "digest"
]
BookingKind = Literal["booked", "rescheduled", "cancelled"]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    kind: EventKind
    payload: dict[str, Any]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # natural keys where a write may repeat
    phone: str | None = None  # whose data it is (for "forget this caller")
    call_sid: str | None = None


def appointment_event(
    kind: BookingKind,
    appointment: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    call_sid: str | None = None,
) -> OutboxEvent:
    """A booking, cancellation or reschedule; `appointment` is the contract's Appointment (JSON)."""
    payload: dict[str, Any] = {"appointment": appointment, "by_call_sid": call_sid or appointment.get("call_sid")}
    if previous is not None:
        payload["previous"] = {"date": previous["date"], "window": previous["window"]}
    return OutboxEvent(kind=kind, payload=payload, phone=appointment.get("phone"), call_sid=call_sid)


def call_facts(state: CallState) -> dict[str, Any]:
    """What the office needs to know about a call, from its state."""
    slots = state.slots
    return {
        "call_sid": state.call_sid,
        "caller_id": state.caller_id,
        "name": slots.name,
        "phone": slots.phone or state.caller_id,
        "address": slots.street,
        "unit": slots.unit,
        "zip": slots.zip,
        "issue": slots.issue,
        "issue_category": slots.issue_category,
        "urgency": slots.urgency,
        "emergency": state.emergency,
        "outcome": state.outcome,
        "appointment_id": state.appointment_id,
        "message": state.message,
    }


def emergency_event(state: CallState) -> OutboxEvent:
    """The call turned out to be an emergency: on-call and office must know now, not at hang-up."""
    facts = call_facts(state)
    return OutboxEvent(
        kind="emergency",
        payload=facts,
        key=f"emergency:{state.call_sid}",
        phone=facts["phone"],
        call_sid=state.call_sid,
    )


def message_event(call_sid: str, text: str, state: CallState | None, caller: str | None) -> OutboxEvent:
    """A message left for the office (after an unanswered transfer)."""
    facts = call_facts(state) if state is not None else {"call_sid": call_sid, "phone": caller}
    facts = {**facts, "message": text}
    phone = facts.get("phone") or caller
    return OutboxEvent(kind="message", payload=facts, key=f"message:{call_sid}", phone=phone, call_sid=call_sid)


def transfer_unanswered_event(
    call_sid: str, dial_status: str, state: CallState | None, caller: str | None, attempt: str | None = None
) -> OutboxEvent:
    """Nobody picked up a transfer (the office line, or on-call for an emergency)."""
    facts = call_facts(state) if state is not None else {"call_sid": call_sid, "phone": caller}
    facts = {**facts, "dial_status": dial_status}
    phone = facts.get("phone") or caller
    key = f"transfer_unanswered:{call_sid}:{attempt or 'dial'}"
    return OutboxEvent(kind="transfer_unanswered", payload=facts, key=key, phone=phone, call_sid=call_sid)


def call_ended_event(call_sid: str, state: CallState | None) -> OutboxEvent:
    """The call is over: time to write its summary (once, however often the end is reported)."""
    facts = call_facts(state) if state is not None else {"call_sid": call_sid}
    return OutboxEvent(
        kind="call_ended", payload=facts, key=f"call_ended:{call_sid}", phone=facts.get("phone"), call_sid=call_sid
    )


def digest_event(day: dt.date) -> OutboxEvent:
    """The office's daily digest for `day` (business-local)."""
    return OutboxEvent(kind="digest", payload={"date": day.isoformat()}, key=f"digest:{day.isoformat()}")
