"""Speech heard but no words made out (stream mode): a miss on the question, never "I didn't
hear anything", and never counted towards the silences that end a call."""

from __future__ import annotations

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.state import CallerUnclear, Silence
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
