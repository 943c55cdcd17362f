"""The tool runner's guards one by one, on a real booking service (SQLite) and a faulty wrapper."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.service import BookingService
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.llm_tools import ToolRunner
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.policy import next_expect
from hvac_agent.dialogue.state import (
    AppointmentRef,
    BookingRequest,
    BookingResult,
    CallState,
    ChangeResult,
    Slots,
    WindowOffer,
)
from tests.llm.support import CALLER_ID, NOW, stored_appointments

YES = Understanding(text="yes", yes_no="yes")
FULL = Slots(
    name="Dana Kim",
    phone=CALLER_ID,
    street="4410 Duval Street",
    zip="78751",
    issue="no heat",
    issue_category="no_heat",
    urgency="routine",
)


class Faulty:
    """The real service with chosen operations failing."""

    def __init__(self, real: BookingService, **overrides: Any) -> None:
        self._real = real
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._real, name)


def runner(
    state: CallState, ctx: DialogueContext, booking: Any, u: Understanding | None = None, confirmed: bool = False
) -> ToolRunner:
    """`confirmed`: the state's pending confirmation question was the last thing the caller heard."""
    return ToolRunner(state, ctx, booking, u, awaiting=state.awaiting_yes if confirmed else None)


def new_state(**changes: Any) -> CallState:
    return CallState(**{"call_sid": "CA-tools", "caller_id": CALLER_ID, "started_at": NOW, **changes})


DANAS_VISIT = AppointmentRef(  # the booking a caller asks to cancel or move
    id=7,
    customer_name="Dana Kim",
    phone=CALLER_ID,
    address="4410 Duval Street",
    zip="78751",
    issue="no heat",
    date=dt.date(2026, 12, 2),
    window="08:00-12:00",
)


async def run(r: ToolRunner, tool_name: str, /, **args: Any) -> dict[str, Any]:
    outcome = await r.run(tool_name, json.dumps(args))
    return outcome.result | {"_say": outcome.say, "_stop": outcome.stop, "_action": outcome.action}


async def test_update_validates_each_field(ctx: DialogueContext, booking: BookingService) -> None:
    state = new_state(caller_id=None)
    r = runner(state, ctx, booking)
    result = await run(
        r,
        "update_caller_details",
        name=42,
        use_caller_id=True,
        issue_category="plumbing",
        urgency="emergency",
        unit="Apt 2B",
        no_unit=True,
    )
    assert set(result["errors"]) == {"name", "phone", "issue_category", "urgency"}
    assert state.slots.unit == "Apt 2B" and state.unit_asked
    assert (await run(r, "update_caller_details", use_caller_id=False))["ok"] and state.caller_id_declined
    assert (await run(r, "report_emergency", kind="flood"))["ok"] is False
    assert next_expect(state) == "issue"


async def test_availability_needs_details_and_respects_urgency(ctx: DialogueContext, booking: BookingService) -> None:
    state = new_state()
    r = runner(state, ctx, booking)
    refused = await run(r, "check_availability")
    assert refused["ok"] is False and refused["still_needed"][0] == "issue"
    state.slots, state.unit_asked = FULL, True
    routine = await run(r, "check_availability", part_of_day="afternoon", not_before="2026-12-05")
    assert not routine["_stop"] and {w["window"] for w in routine["windows"]} == {"12:00-16:00"}
    assert all(w["date"] >= "2026-12-05" for w in routine["windows"])  # the model words the offer
    assert state.phase == "choosing_window" and next_expect(state) == "window"
    # The urgent-window rule is the policy's, for both agents: whatever the model asks for, an urgent
    # visit gets the earliest window, read back by code (it was only a hint to the model before).
    urgent = new_state(slots=FULL.model_copy(update={"urgency": "urgent"}), unit_asked=True)
    offers = await run(runner(urgent, ctx, booking), "check_availability", part_of_day="afternoon")
    assert offers["note"].startswith("urgent") and offers["windows"][0]["window"] == "08:00-12:00"
    assert offers["_stop"] and offers["_say"].startswith(scripts.URGENT_EARLIEST + " Let me read that back.")
    assert (urgent.slots.date, urgent.slots.window) == (dt.date(2026, 12, 1), "08:00-12:00")
    assert urgent.phase == "confirming" and urgent.awaiting_yes == "book" and next_expect(urgent) == "confirm"


async def test_no_open_windows_offers_a_person(ctx: DialogueContext, booking: BookingService) -> None:
    async def none(**_: Any) -> list[WindowOffer]:
        return []

    state = new_state(slots=FULL, unit_asked=True)
    result = await run(runner(state, ctx, Faulty(booking, open_windows=none)), "check_availability")
    assert result["_stop"] and "connect you with our office" in result["_say"]
    assert state.phase == "offer_transfer" and next_expect(state) == "yes_no"


async def test_a_failing_service_is_a_result_not_a_crash(ctx: DialogueContext, booking: BookingService) -> None:
    async def boom(**_: Any) -> list[WindowOffer]:
        raise ConnectionError("database down")

    # The schedule cannot be read: the same route as the rules agent (the office is offered).
    state = new_state(slots=FULL, unit_asked=True)
    result = await run(runner(state, ctx, Faulty(booking, open_windows=boom)), "check_availability")
    assert result == {
        "ok": False,
        "error": "no open windows",
        "_say": f"{scripts.NO_WINDOWS} {scripts.OFFER_OFFICE}",
        "_stop": True,
        "_action": "listen",
    }
    assert state.phase == "offer_transfer" and state.asked is None  # asked is settled at the turn's end


async def test_booking_guards_and_outcomes(ctx: DialogueContext, booking: BookingService, engine: AsyncEngine) -> None:
    offer = WindowOffer(date=dt.date(2026, 12, 1), window="08:00-12:00")
    state = new_state(
        slots=FULL.model_copy(update={"date": offer.date, "window": "12:00-16:00"}),
        unit_asked=True,
        offered=[offer],
        phase="confirming",
        asked="confirm",
        awaiting_yes="book",
    )
    assert "not offered" in (await run(runner(state, ctx, booking, YES, True), "create_booking"))["error"]
    state.slots.window = offer.window

    async def broken(request: BookingRequest) -> BookingResult:
        return BookingResult(ok=False, reason="error")

    failed = await run(
        runner(state.model_copy(deep=True), ctx, Faulty(booking, book=broken), YES, True), "create_booking"
    )
    assert failed["_action"] == "transfer" and "booking system unavailable" in failed["error"]

    async def full(request: BookingRequest) -> BookingResult:
        return BookingResult(ok=False, reason="window_full")

    async def nothing_else(**_: Any) -> list[WindowOffer]:
        return [offer]  # only the window just lost

    lost = state.model_copy(deep=True)
    result = await run(
        runner(lost, ctx, Faulty(booking, book=full, open_windows=nothing_else), YES, True), "create_booking"
    )
    assert result["_stop"] and "no other opening" in result["_say"] and lost.phase == "offer_transfer"
    booked = await run(runner(state, ctx, booking, YES, True), "create_booking")
    assert booked["_action"] == "hangup" and state.outcome == "booked"
    again = await run(runner(state, ctx, booking, YES, True), "create_booking")
    assert again["error"] == "already booked on this call"
    assert len(await stored_appointments(engine)) == 1


async def test_cancel_paths(ctx: DialogueContext, booking: BookingService) -> None:
    nobody = new_state(caller_id=None)
    asked = await run(runner(nobody, ctx, booking), "cancel_booking")
    assert "ask what number" in asked["error"] and nobody.phase == "cancel_lookup"
    assert next_expect(nobody) == "phone"
    other = await run(runner(new_state(), ctx, booking), "cancel_booking", phone="512 555 0199")
    assert other["verification"] == "asked by the system" and scripts.VERIFY_QUESTION in other["_say"]
    target = DANAS_VISIT.model_copy()
    state = new_state(phase="cancel_confirm", asked="confirm", awaiting_yes="cancel", target=target)
    assert "not said yes" in (await run(runner(state, ctx, booking), "cancel_booking"))["error"]

    async def refuse(appointment_id: int, *, call_sid: str) -> ChangeResult:
        return ChangeResult(ok=False, reason="not_found")

    failed = await run(runner(state, ctx, Faulty(booking, cancel=refuse), YES, True), "cancel_booking")
    assert failed["_action"] == "transfer"


async def test_a_booking_under_another_number_never_reaches_the_model_unverified(
    ctx: DialogueContext, booking: BookingService
) -> None:
    """Rule 7 in the tools: the result for a booked number and for a never-booked one is the same,
    carries no detail of the booking, and the caller hears the same words."""
    request = BookingRequest(
        call_sid="CA-dana",
        customer_name="Dana Kim",
        phone=CALLER_ID,
        address="4410 Duval Street",
        unit=None,
        zip="78751",
        issue="no heat",
        issue_category="no_heat",
        urgency="routine",
        date=dt.date(2026, 12, 2),
        window="08:00-12:00",
    )
    assert (await booking.book(request)).ok
    seen: list[dict[str, Any]] = []
    for tool in ("cancel_booking", "reschedule_booking"):
        for number in ("512 555 0123", "512 555 0199"):  # Dana's, and nobody's
            state = new_state(caller_id="+15125550177")
            seen.append(await run(runner(state, ctx, booking), tool, phone=number))
            assert state.target is None and state.existing == [] and state.phase == "verifying"
    assert seen[0] == seen[1] and seen[2] == seen[3], seen
    for secret in ("Duval", "4410", "Dana", "78751", "2026-12-02", "08:00", "noon", "8 AM"):
        assert secret not in json.dumps(seen)


async def test_reschedule_paths(ctx: DialogueContext, booking: BookingService) -> None:
    early = await run(runner(new_state(), ctx, booking), "reschedule_booking", date="2026-12-02", window="08:00-12:00")
    assert "find the appointment first" in early["error"]
    missing = await run(runner(new_state(), ctx, booking), "reschedule_booking")
    assert missing["error"] == "no upcoming appointment under the caller's own number"
    target = DANAS_VISIT.model_copy()
    state = new_state(
        phase="reschedule_confirm",
        asked="confirm",
        awaiting_yes="reschedule",
        target=target,
        intent="reschedule",
        slots=Slots(date=dt.date(2026, 12, 3), window="08:00-12:00"),
    )
    assert "not said yes" in (await run(runner(state, ctx, booking), "reschedule_booking"))["error"]

    async def taken(appointment_id: int, **_: Any) -> ChangeResult:
        return ChangeResult(ok=False, reason="window_full")

    lost = await run(runner(state, ctx, Faulty(booking, reschedule=taken), YES, True), "reschedule_booking")
    assert "just taken" in lost["error"] and state.phase == "reschedule_choose" and state.slots.window is None
    more = await run(runner(state, ctx, booking), "reschedule_booking")  # target known: fresh offers
    assert more["ok"] and not more["_stop"] and state.offered


@pytest.mark.parametrize("raw", ["", "   "])
async def test_empty_arguments_mean_no_arguments(raw: str, ctx: DialogueContext, booking: BookingService) -> None:
    outcome = await runner(new_state(), ctx, booking).run("check_availability", raw)
    assert outcome.result["error"] == "collect the caller's details first"
