"""Speech heard but no words made out (stream mode): a miss on the question, never "I didn't
hear anything", and never counted towards the silences that end a call."""

from __future__ import annotations

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.state import CallerSaid, CallerUnclear, Silence
from tests.dialogue.conftest import Conversation


async def test_words_not_understood_are_a_miss_not_a_silence(conversation: Conversation) -> None:
    await conversation.start()
    await conversation.say("my furnace stopped working")
    asked = conversation.state.asked
    reply = await conversation.send(CallerUnclear())
    assert scripts.DIDNT_CATCH in reply.say and scripts.HEARD_NOTHING not in reply.say
    assert conversation.state.asked == asked and conversation.state.silences == 0
    again = await conversation.send(CallerUnclear())
    assert scripts.STILL_NOT_GETTING in again.say  # the second miss changes route, as for misheard words
    silence = await conversation.send(Silence())
    assert scripts.HEARD_NOTHING in silence.say and conversation.state.silences == 1


async def test_a_name_and_address_from_the_on_device_recogniser_are_read_back_and_can_be_replaced(
    conversation: Conversation,
) -> None:
    """Issue 10 item 7: the offline recogniser gives no confidence and mishears names and streets
    most: what it heard is read back with the next question, and the next answer may replace it."""
    await conversation.start()
    await conversation.say("my furnace stopped working")
    heard = await conversation.send(CallerSaid(text="dana kin", offline=True))
    assert scripts.heard_name_as("Dana Kin") in heard.say and heard.expect == "phone_confirm"
    fixed = await conversation.send(CallerSaid(text="it's dana kim k i m", offline=True))
    assert conversation.state.slots.name == "Dana Kim" and scripts.DIDNT_CATCH not in fixed.say
    assert fixed.expect == "phone_confirm"  # the pending question is put again, not counted as a miss
    await conversation.send(CallerSaid(text="yes", offline=True))
    street = await conversation.send(CallerSaid(text="4410 duval street", offline=True))
    assert "I have the address as" in street.say and street.expect == "zip"
    again = await conversation.send(CallerSaid(text="78751", offline=True))
    assert "I have the address as" not in again.say  # read back once, not at every later answer
    assert conversation.state.slots.street == "4410 Duval Street"


async def test_a_cloud_recogniser_sure_of_the_name_gets_no_early_read_back(conversation: Conversation) -> None:
    await conversation.start()
    await conversation.say("my furnace stopped working")
    heard = await conversation.send(CallerSaid(text="dana kim", confidence=0.93))
    assert "I have your name" not in heard.say and conversation.state.slots.name == "Dana Kim"
