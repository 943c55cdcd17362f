"""The shared policy's scheduling rules on the pure core: holds at offer and read-back, a window
lost at the read-back, after hours, the on-call offer."""

from __future__ import annotations

import datetime as dt

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.context import DialogueContext
from tests.dialogue.conftest import Conversation

TO_WINDOWS = ["my furnace stopped working", "dana kim", "yes", "4410 duval street 78751", "no", "no"]
NIGHT = dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)  # Wednesday 21:30 in Austin


class NightConversation(Conversation):
    """A call at night: the office has closed."""

    @property
    def ctx(self) -> DialogueContext:
        return DialogueContext(profile=BusinessProfile(), now=NIGHT)


async def test_windows_are_held_for_the_call_and_the_chosen_one_again_at_the_read_back() -> None:
    c = Conversation()
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    readback = await c.say("the first one")
    assert "Shall I book it" in readback.say
    assert c.booking.held["CAtest"] == (dt.date(2026, 12, 2), "12:00-16:00")


async def test_a_window_gone_at_the_read_back_is_replaced_at_once_never_a_transfer() -> None:
    c = Conversation()
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    c.booking.full.add((dt.date(2026, 12, 2), "12:00-16:00"))  # taken since it was heard
    reply = await c.say("the first one")
    assert reply.say.startswith(scripts.WINDOW_TAKEN) and reply.action == "listen"
    assert "Shall I book it" not in reply.say and c.state.phase == "choosing_window"
    assert (dt.date(2026, 12, 2), "12:00-16:00") not in {(o.date, o.window) for o in c.state.offered}
    assert "Shall I book it" in (await c.say("the first one")).say


async def test_after_hours_greeting_says_so_and_urgent_callers_are_offered_the_oncall_line() -> None:
    c = NightConversation()
    greeting = await c.start()
    assert greeting.say.startswith(scripts.after_hours(c.ctx.profile))
    await c.say("we have no heat and there's a newborn baby in the house")
    for line in TO_WINDOWS[1:5]:
        reply = await c.say(line)
    assert "Shall I book it" in reply.say
    booked = await c.say("yes")
    assert booked.say.endswith(scripts.ONCALL_OFFER) and c.state.phase == "offer_oncall"
    connect = await c.say("yes")
    assert connect.action == "transfer" and connect.transfer_reason == "oncall"
    assert connect.transfer_to == c.ctx.profile.oncall_numbers[0] and c.state.outcome == "booked"


async def test_after_hours_urgent_caller_may_decline_the_oncall_line() -> None:
    c = NightConversation()
    await c.start()
    await c.say("we have no heat and there's a newborn baby in the house")
    for line in TO_WINDOWS[1:5]:
        await c.say(line)
    await c.say("yes")
    assert (await c.say("no thanks")).action == "hangup" and c.state.outcome == "booked"


async def test_a_day_that_fits_two_offered_windows_is_asked_again_not_guessed() -> None:
    """Offers: Wednesday 12-4, Thursday 8-12, Thursday 12-4. "thursday" fits two: the caller hears
    the morning or the afternoon; the answer picks from those two only."""
    c = Conversation()
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    which = await c.say("thursday")
    assert which.say == "Sure. The morning, between 8 AM and noon, or the afternoon, between noon and 4 PM?"
    assert which.expect == "window" and c.state.slots.window is None and c.state.phase == "choosing_window"
    assert [(o.date, o.window) for o in c.state.offered] == [
        (dt.date(2026, 12, 3), "08:00-12:00"),
        (dt.date(2026, 12, 3), "12:00-16:00"),
    ]
    readback = await c.say("the morning")  # one morning among the two: no second re-ask
    assert "Shall I book it" in readback.say
    assert (c.state.slots.date, c.state.slots.window) == (dt.date(2026, 12, 3), "08:00-12:00")


async def test_a_part_of_day_that_fits_two_offered_days_asks_which_day() -> None:
    c = Conversation()
    await c.start()
    for line in TO_WINDOWS:
        await c.say(line)
    which = await c.say("afternoons are better")  # Wednesday 12-4 and Thursday 12-4
    assert which.say == "Sure. Which day would you like: Wednesday December 2 or Thursday December 3?"
    assert "Shall I book it" in (await c.say("thursday")).say
    assert (c.state.slots.date, c.state.slots.window) == (dt.date(2026, 12, 3), "12:00-16:00")
