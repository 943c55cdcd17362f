"""Contract rule 7 and returning callers, through the real server with signed gather calls.

A caller on another number than the booked one learns and changes nothing without a second factor
(the name on the booking, or the house number and ZIP); "not found" sounds the same whether or not
the number has bookings; a returning caller is offered their earlier details and books in fewer
turns; a caller can ask to be forgotten. `tests/llm/test_llm_e2e.py` plays these same calls with
the LLM agent answering.
"""

from __future__ import annotations

import pytest

from hvac_agent.dialogue import scripts
from tests.e2e.conftest import Server
from tests.e2e.scripts import COOPERATIVE, booked_for_dana
from tests.support.twilio_sim import TwilioCall

BOOKED_NUMBER = "+15125550123"  # Dana Kim, 4410 Duval Street, 78751 (scripts.COOPERATIVE)
OTHER_PHONE = "+15125550177"  # where the second caller rings from
SECRETS = ("Duval", "4410", "forty-four ten", "Dana", "Kim", "78751", "7 8 7 5 1", "between", "noon")


def _ask_about(call: TwilioCall, number_words: str, want: str = "cancel my appointment") -> list[str]:
    """From another phone: ask to change a booking, then give `number_words` as the booked number."""
    heard = [call.start().text, call.say(f"i need to {want}").text]
    heard.append(call.say(number_words).text)
    return heard


def _leaks(texts: list[str]) -> list[str]:
    return [secret for secret in SECRETS for text in texts if secret.lower() in text.lower()]


def test_another_number_learns_and_changes_nothing_without_the_second_factor(server: Server) -> None:
    appointment = booked_for_dana(server)
    with server.call(caller=OTHER_PHONE) as call:
        heard = _ask_about(call, "five one two five five five zero one two three")
        assert scripts.VERIFY_QUESTION in heard[-1]
        heard.append(call.say("john smith").text)  # wrong name
        assert scripts.VERIFY_NO_MATCH in heard[-1] and scripts.VERIFY_QUESTION in heard[-1]
        heard.append(call.say("1234 main street 78751").text)  # wrong house number, right ZIP
        assert scripts.VERIFY_GIVE_UP in heard[-1] and scripts.OFFER_OFFICE in heard[-1]
        transfer = call.say("yes")
        assert transfer.dial_numbers == ["+15125550100"]  # a person, the office's transfer number
        call.hang_up()
    assert _leaks(heard) == [], heard
    after = server.api(f"/api/appointments/{appointment['id']}").json()
    assert (after["status"], after["date"], after["window"]) == ("booked", appointment["date"], appointment["window"])
    record = server.api(f"/api/calls/{call.call_sid}").json()
    assert _leaks([t["text"] for t in record["turns"] if t["role"] == "agent"]) == []


def test_a_reschedule_from_another_number_is_refused_the_same_way(server: Server) -> None:
    appointment = booked_for_dana(server)
    with server.call(caller=OTHER_PHONE) as call:
        heard = _ask_about(call, "512 555 0123", want="reschedule my appointment")
        heard.append(call.say("dana smith").text)
        heard.append(call.say("dan kim").text)  # close is not the name on the booking
        call.hang_up()
    assert scripts.VERIFY_GIVE_UP in heard[-1]
    assert _leaks(heard) == [], heard
    after = server.api(f"/api/appointments/{appointment['id']}").json()
    assert (after["status"], after["date"], after["window"]) == ("booked", appointment["date"], appointment["window"])


def test_not_found_sounds_the_same_for_a_number_with_and_without_bookings(server: Server) -> None:
    booked_for_dana(server)
    conversations: list[list[str]] = []
    for number in ("512 555 0123", "512 555 0188"):  # booked, and never booked
        with server.call(caller=OTHER_PHONE) as call:
            heard = _ask_about(call, number)
            heard.append(call.say("john smith").text)
            heard.append(call.say("pat jones").text)
            heard.append(call.say("no thanks").text)
            conversations.append(heard)
            call.hang_up()
    booked, unbooked = conversations
    assert booked == unbooked, (booked, unbooked)


@pytest.mark.parametrize("factor", ["dana kim", "it's 4410 duval street 78751"])
def test_the_right_second_factor_lets_the_caller_cancel(server: Server, factor: str) -> None:
    appointment = booked_for_dana(server)
    with server.call(caller=OTHER_PHONE) as call:
        _ask_about(call, "512 555 0123")
        found = call.say(factor)
        assert "forty-four ten Duval Street" in found.text and "cancel it" in found.text, found.text
        done = call.say("yes")
        assert scripts.CANCELLED in done.text and done.hangup
        call.hang_up()
    after = server.api(f"/api/appointments/{appointment['id']}").json()
    assert after["status"] == "cancelled"


def test_the_booked_number_itself_needs_no_second_factor(server: Server) -> None:
    booked_for_dana(server)
    with server.call(caller=BOOKED_NUMBER) as call:
        call.start()
        found = call.say("i want to cancel my appointment")
        assert "forty-four ten Duval Street" in found.text and "cancel it" in found.text, found.text
        call.hang_up()


def _turns_to_book(call: TwilioCall, lines: list[str]) -> tuple[int, str]:
    """Play `lines` after the greeting, then the final yes; the caller turns it took and the read-back."""
    for line in lines:
        call.say(line)
    readback = call.last.text  # type: ignore[union-attr]
    assert "Shall I book it" in readback, readback
    assert "You're all set" in call.say("yes").text
    return len(lines) + 1, readback


def test_a_returning_caller_is_offered_their_details_and_books_in_fewer_turns(server: Server) -> None:
    with server.call(caller=BOOKED_NUMBER) as first:
        greeting = first.start()
        assert "Welcome back" not in greeting.text
        new_turns, _ = _turns_to_book(first, COOPERATIVE)
        first.hang_up()
    with server.call(caller=BOOKED_NUMBER) as again:
        greeting = again.start()
        assert "Welcome back" in greeting.text and "virtual assistant" in greeting.text
        offer = again.say("the ac is blowing warm air")
        assert "Is this for forty-four ten Duval Street again?" in offer.text, offer.text
        returning_lines = ["the ac is blowing warm air", "yes", "no", "the first one"]
        returning_turns, readback = _turns_to_book(again, returning_lines[1:])
        returning_turns += 1
        again.hang_up()
    # Still read back before booking: name, number and address came from the earlier booking.
    for expected in ("Dana Kim", "5 1 2, 5 5 5, 0 1 2 3", "forty-four ten Duval Street", "$89"):
        assert expected in readback, readback
    assert returning_turns < new_turns, (returning_turns, new_turns)
    assert (new_turns, returning_turns) == (8, 5)
    second = server.api("/api/appointments", call_sid=again.call_sid).json()
    details = [(a["customer_name"], a["address"], a["zip"]) for a in second]
    assert details == [("Dana Kim", "4410 Duval Street", "78751")]


def test_a_returning_caller_who_says_no_gives_new_details(server: Server) -> None:
    booked_for_dana(server)
    with server.call(caller=BOOKED_NUMBER) as call:
        call.start()
        call.say("my furnace is making a loud noise")
        asked = call.say("no")
        assert "name" in asked.text, asked.text
        lines = ["sam lee", "yes", "12 oak street 78702", "no", "no", "the first one"]
        _, readback = _turns_to_book(call, lines)
        call.hang_up()
    assert "Sam Lee" in readback and "Duval" not in readback


def test_another_number_is_never_greeted_with_someone_elses_details(server: Server) -> None:
    booked_for_dana(server)
    with server.call(caller=OTHER_PHONE) as call:
        heard = [call.start().text, call.say("my heater is broken").text]
        call.hang_up()
    assert "Welcome back" not in heard[0] and "name" in heard[1]
    assert _leaks(heard) == []


def test_a_caller_can_ask_to_be_forgotten_by_voice(server: Server) -> None:
    appointment = booked_for_dana(server)
    with server.call(caller=BOOKED_NUMBER) as call:
        call.start()
        question = call.say("please delete my information")
        assert scripts.FORGET_QUESTION in question.text
        done = call.say("yes")
        assert scripts.FORGOTTEN_DONE in done.text and done.hangup
        call.hang_up()
    assert server.api("/api/appointments", phone=BOOKED_NUMBER).json() == []
    kept = server.api(f"/api/appointments/{appointment['id']}").json()
    assert (kept["customer_name"], kept["address"], kept["phone"]) == ("(forgotten)", "(forgotten)", "")
    assert server.api(f"/api/calls/{appointment['call_sid']}").status_code == 404
    # This call's own record went with the others; what is written after the erasure (the "yes" and
    # the goodbye) carries no number and none of the caller's earlier words.
    left = server.api(f"/api/calls/{call.call_sid}").json()
    assert left["from"] is None and left["summary"] is None
    assert [turn["text"] for turn in left["turns"]][0] == "yes"
    assert not _leaks([turn["text"] for turn in left["turns"]]) and "delete" not in left["turns"][0]["text"]
    with server.call(caller=BOOKED_NUMBER) as later:
        assert "Welcome back" not in later.start().text
        later.hang_up()


def test_a_caller_who_says_no_to_being_forgotten_keeps_their_data(server: Server) -> None:
    booked_for_dana(server)
    with server.call(caller=BOOKED_NUMBER) as call:
        call.start()
        call.say("can you forget me")
        kept = call.say("no")
        assert scripts.HOW_ELSE in kept.text and not kept.hangup
        call.hang_up()
    assert len(server.api("/api/appointments", phone=BOOKED_NUMBER).json()) == 1
