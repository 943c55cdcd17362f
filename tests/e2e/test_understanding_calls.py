"""Issue 4 through the real server: messy callers, corrections, keypad, cancel/reschedule, frustration."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Server
from tests.e2e.scripts import COOPERATIVE, book_cooperatively, drive_call


def _only(server: Server, call_sid: str) -> dict[str, object]:
    [appointment] = server.api("/api/appointments", call_sid=call_sid).json()
    return appointment  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("correction", "field", "expected"),
    [
        ("no my name is dana kimball", "customer_name", "Dana Kimball"),
        ("that's wrong the number is five one two five five five zero one three two", "phone", "+15125550132"),
        ("actually the address is 1200 east 6th street 78702", "address", "1200 East 6th Street"),
        ("no the zip code is 78745", "zip", "78745"),
    ],
)
def test_each_slot_can_be_corrected_at_read_back(server: Server, correction: str, field: str, expected: str) -> None:
    with server.call() as call:
        drive_call(call, "confirm")
        again = call.say(correction)
        assert "Shall I book it" in again.text, again.text
        call.say("yes")
    assert _only(server, call.call_sid)[field] == expected


def test_window_can_be_changed_at_read_back(server: Server) -> None:
    with server.call() as call:
        drive_call(call, "confirm")
        offer = call.say("no can we do a different time")
        assert "Which works best" in offer.text or "What would you like to change" in offer.text, offer.text
        if "What would you like" in offer.text:
            offer = call.say("the time")
        readback = call.say("the second one")
        assert "Shall I book it" in readback.text
        call.say("yes")
    assert _only(server, call.call_sid)["window"] == "08:00-12:00"  # Thursday morning, the 2nd offer


def test_spelled_name(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my air conditioner is blowing warm air")
        call.say("my name is dana kim that's k i m")
        for line in COOPERATIVE[2:]:
            call.say(line)
        call.say("yes")
    appointment = _only(server, call.call_sid)
    assert appointment["customer_name"] == "Dana Kim"
    assert appointment["issue_category"] == "no_cooling"


def test_number_spread_over_two_turns(server: Server) -> None:
    with server.call(caller="+15125550999") as call:
        call.start()
        call.say("my furnace is making a loud banging noise")
        call.say("dana kim")
        call.say("no use a different number")
        partial = call.say("five one two five five five")
        assert "rest of the number" in partial.text
        nxt = call.say("zero one two three")
        assert "address" in nxt.text.lower()
        for line in COOPERATIVE[3:]:
            call.say(line)
        call.say("yes")
    appointment = _only(server, call.call_sid)
    assert appointment["phone"] == "+15125550123"
    assert appointment["issue_category"] == "noise"


def test_keypad_fallback_after_two_misunderstandings(server: Server) -> None:
    with server.call(caller="+15125550999") as call:
        call.start()
        call.say("the heat is not working")
        call.say("dana kim")
        call.say("no")
        first = call.say("banana")
        assert first.gather_action and "didn't catch" in first.text
        second = call.say("purple monkey")
        assert "keypad" in second.text
        after = call.press("5125550123")
        assert "address" in after.text.lower()
        for line in COOPERATIVE[3:]:
            call.say(line)
        call.say("yes")
    assert _only(server, call.call_sid)["phone"] == "+15125550123"


def test_cancel_existing_booking_found_by_caller_id(server: Server) -> None:
    with server.call() as call:
        book_cooperatively(call)
    booked = _only(server, call.call_sid)
    with server.call() as call:  # same caller ID
        call.start()
        found = call.say("i need to cancel my appointment")
        assert "forty-four ten Duval Street" in found.text and "cancel" in found.text.lower()
        done = call.say("yes please")
        assert "cancelled" in done.text and done.hangup
        call.hang_up()
    after = server.api(f"/api/appointments/{booked['id']}").json()
    assert after["status"] == "cancelled"
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "cancelled"


def test_reschedule_existing_booking_found_by_caller_id(server: Server) -> None:
    with server.call() as call:
        book_cooperatively(call)
    booked = _only(server, call.call_sid)
    assert booked["window"] == "12:00-16:00"
    with server.call() as call:
        call.start()
        offer = call.say("can i reschedule my appointment")
        assert "forty-four ten Duval Street" in offer.text and "Which works best" in offer.text, offer.text
        confirm = call.say("the first one")
        assert "move your appointment" in confirm.text
        done = call.say("yes")
        assert "Your appointment is now" in done.text
        call.hang_up()
    after = server.api(f"/api/appointments/{booked['id']}").json()
    assert (after["status"], after["date"], after["window"]) == ("booked", "2026-12-03", "08:00-12:00")
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "rescheduled"


def test_frustrated_caller_is_transferred(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my heat is out")
        answer = call.say("i already told you this is ridiculous this stupid machine")
        assert answer.dial_numbers == ["+15125550100"], answer.text
        call.hang_up()
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "transferred"


def test_question_about_price_gets_only_the_dispatch_fee(server: Server) -> None:
    with server.call() as call:
        call.start()
        answer = call.say("how much do you charge")
        assert "$89" in answer.text and answer.gather_action
        assert [w for w in answer.text.split() if w.startswith("$")] == ["$89."] or "$89" in answer.text
        nxt = call.say("my furnace is out")
        assert "name" in nxt.text.lower()
