"""The rules core, turn by turn: every phase and every polite exit, without any I/O."""

from __future__ import annotations

import datetime as dt

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.rules import step
from hvac_agent.dialogue.state import CallerSaid, CallState, HangUp
from tests.dialogue.conftest import NOW, Conversation

TO_WINDOWS = ["my furnace stopped working", "dana kim", "yes", "4410 duval street 78751", "no", "no"]


async def _to_readback(c: Conversation) -> None:
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    await c.say("the first one")
    assert c.state.phase == "confirming"


async def test_step_is_pure(conversation: Conversation) -> None:
    state = CallState(call_sid="CA1", started_at=NOW)
    before = state.model_dump_json()
    new, reply = step(state, CallerSaid(text="i smell gas"), conversation.ctx)
    assert state.model_dump_json() == before
    assert new.outcome == "emergency" and reply.action == "transfer"


async def test_booking_request_carries_every_slot(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    done = await c.say("yes that's right")
    assert done.action == "hangup" and c.state.outcome == "booked" and c.state.appointment_id == 1
    [request] = c.booking.requests
    assert (request.customer_name, request.phone, request.address, request.zip) == (
        "Dana Kim",
        "+15125550123",
        "4410 Duval Street",
        "78751",
    )
    assert (request.date, request.window, request.urgency) == (dt.date(2026, 12, 2), "12:00-16:00", "routine")
    assert request.issue_category == "no_heat"


async def test_no_booking_without_an_explicit_yes(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    maybe = await c.say("hmm")
    assert maybe.action == "listen" and c.booking.requests == []
    change = await c.say("no")
    assert "change" in change.say.lower() and c.booking.requests == []


async def test_urgent_caller_goes_to_the_earliest_window(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("no heat and my mother is elderly and on oxygen")
    for line in ["dana kim", "yes", "4410 duval street 78751"]:
        await c.say(line)
    readback = await c.say("no")
    assert "earliest" in readback.say and "Shall I book it" in readback.say
    assert c.state.slots.urgency == "urgent" and c.state.slots.date == dt.date(2026, 12, 2)


async def test_booking_failure_hands_the_caller_to_a_person(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    c.booking.fail = True
    reply = await c.say("yes")
    assert reply.action == "transfer" and reply.transfer_to == "+15125550100"
    assert c.state.outcome == "transferred"


async def test_no_open_windows_offers_the_office(conversation: Conversation) -> None:
    c = conversation
    c.booking.windows = []
    await c.start()
    for line in TO_WINDOWS[:-1]:
        await c.say(line)
    offer = await c.say("no")
    assert "don't have any open" in offer.say and c.state.phase == "offer_transfer"
    bye = await c.say("no thanks")
    assert bye.action == "hangup"


async def test_out_of_area_message_is_taken(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("my ac is not cooling")
    reply = await c.say("i'm at 9 elm street 90210")
    assert "outside the area" in reply.say
    ask = await c.say("yes i'd like to leave a message")
    assert c.state.phase == "taking_message" and "message" in ask.say.lower()
    bye = await c.say("please call me if you expand to my area")
    assert bye.action == "hangup" and c.state.message and c.state.outcome == "out_of_area"


async def test_window_preference_from_the_first_sentence_is_used(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("my furnace stopped working can someone come tomorrow morning")
    for line in ["dana kim", "yes", "4410 duval street 78751", "no"]:
        await c.say(line)
    readback = await c.say("no")
    assert "Shall I book it" in readback.say and c.state.slots.window == "08:00-12:00"
    assert c.state.slots.date == dt.date(2026, 12, 3)


async def test_refusing_the_offered_windows_looks_further_out(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    later = await c.say("no none of those work")
    assert "Dec" in later.say or "December 4" in later.say
    assert all(o.date > dt.date(2026, 12, 3) for o in c.state.offered)


async def test_a_full_window_at_booking_time_reoffers(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    c.booking.full.add((dt.date(2026, 12, 2), "12:00-16:00"))
    lost = await c.say("yes")
    assert "just taken" in lost.say and c.state.phase == "choosing_window"
    assert (dt.date(2026, 12, 2), "12:00-16:00") not in {(o.date, o.window) for o in c.state.offered}


async def test_a_lost_window_with_no_other_open_offers_the_office_in_one_apology(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    lost = (dt.date(2026, 12, 2), "12:00-16:00")
    c.booking.full.add(lost)
    c.booking.windows = [w for w in c.booking.windows if (w.date, w.window) == lost]
    reply = await c.say("yes")
    assert reply.say == f"{scripts.WINDOW_TAKEN_NO_OTHER} {scripts.OFFER_OFFICE}"
    assert c.state.phase == "offer_transfer" and c.state.slots.window is None and c.state.outcome == "in_progress"
    assert (await c.say("yes please")).action == "transfer"


async def test_cancel_under_another_number_asks_for_a_second_factor_then_offers_the_office(
    conversation: Conversation,
) -> None:
    c = conversation
    await c.start()
    ask = await c.say("i want to cancel my appointment")
    assert "booked under" in ask.say
    verify = await c.say("512 555 0199")
    assert scripts.VERIFY_QUESTION in verify.say and c.state.phase == "verifying"
    await c.say("dana kim")
    gave_up = await c.say("dana kim")
    assert scripts.VERIFY_GIVE_UP in gave_up.say and c.state.phase == "offer_transfer"
    transfer = await c.say("yes")
    assert transfer.action == "transfer"


async def test_cancel_can_be_declined(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    await c.say("yes")
    again = Conversation(booking=c.booking)
    await again.start()
    found = await again.say("cancel my appointment")
    assert "cancel it" in found.say
    keep = await again.say("no keep it")
    assert keep.action == "hangup" and again.booking.booked["CAtest"].status == "booked"


async def test_reschedule_into_a_full_window_reoffers(conversation: Conversation) -> None:
    c = conversation
    await _to_readback(c)
    await c.say("yes")
    again = Conversation(booking=c.booking)
    again.state.call_sid = "CAtest2"
    await again.start()
    await again.say("i need to reschedule")
    await again.say("the first one")
    again.booking.full.add((again.state.slots.date, again.state.slots.window))  # type: ignore[arg-type]
    lost = await again.say("yes")
    assert "just taken" in lost.say and again.state.phase == "reschedule_choose"


async def test_silence_reprompts_then_ends(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("my heater is broken")
    first = await c.silence()
    assert "didn't hear" in first.say and "name" in first.say
    second = await c.silence()
    assert "still there" in second.say
    third = await c.silence()
    assert third.action == "hangup" and c.state.ended
    after = await c.say("hello?")
    assert after.action == "hangup"


async def test_a_question_is_answered_without_losing_the_place(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("my ac stopped cooling")
    hours = await c.say("what are your hours")
    assert "Monday through Saturday" in hours.say and "name" in hours.say
    assert c.state.misunderstood == {}
    who = await c.say("am i talking to a robot")
    assert "virtual assistant" in who.say


async def test_three_misses_on_one_question_go_to_a_person(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    await c.say("my furnace is out")
    await c.say("dana kim")
    await c.say("no")
    assert (await c.say("blue")).action == "listen"
    second = await c.say("green")
    assert second.keypad and "keypad" in second.say
    third = await c.say("orange")
    assert third.action == "transfer" and third.transfer_reason == "fallback"


async def test_goodbye_and_hang_up(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    bye = await c.say("never mind goodbye")
    assert bye.action == "hangup"
    state, reply = step(c.state, HangUp(), c.ctx)
    assert state.ended and reply.say == ""


async def test_keypad_zip(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    for line in ["my furnace is out", "dana kim", "yes", "4410 duval street"]:
        await c.say(line)
    assert c.state.asked == "zip"
    after = await c.press("78751")
    assert c.state.slots.zip == "78751" and "unit" in after.say.lower()


async def test_unit_number_is_asked_once_and_read_back(conversation: Conversation) -> None:
    c = conversation
    await c.start()
    for line in ["my furnace is out", "dana kim", "yes", "4410 duval street 78751"]:
        await c.say(line)
    ask = await c.say("yes")
    assert "unit number" in ask.say
    await c.say("apartment 2b")
    await c.say("no")
    readback = await c.say("the first one")
    assert c.state.slots.unit and "2B" in readback.say.upper()


async def test_a_yes_said_over_the_read_back_hears_it_again_before_anything_is_booked(
    conversation: Conversation,
) -> None:
    """Contract rule 3: the fee is said before booking. A yes that cut the read-back short may
    have come before the fee was heard: the read-back is said again (once) and a second yes books."""
    from hvac_agent.dialogue import scripts
    from hvac_agent.dialogue.state import CallerSaid

    c = conversation
    await _to_readback(c)
    again = await c.send(CallerSaid(text="yes", cut_in=True))
    assert c.booking.requests == [] and again.effect is None
    assert "so you've heard it all" in again.say and scripts.fee_sentence(c.ctx.profile) in again.say
    assert again.say.endswith(scripts.CONFIRM_QUESTIONS["book"])
    booked = await c.send(CallerSaid(text="yes", cut_in=True))  # once said again, a yes books
    assert len(c.booking.requests) == 1 and "You're all set" in booked.say


async def test_a_yes_heard_after_the_whole_read_back_books_at_once(conversation: Conversation) -> None:
    from hvac_agent.dialogue.state import CallerSaid

    c = conversation
    await _to_readback(c)
    await c.send(CallerSaid(text="yes"))
    assert len(c.booking.requests) == 1
