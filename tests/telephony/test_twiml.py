"""The gather turn's TwiML template against the `twilio` library's own rendering of it."""

from __future__ import annotations

import random

import pytest

from hvac_agent.dialogue.state import Reply
from hvac_agent.telephony import twiml

TRICKY = "ab &<>\"'\n\t\r\x01é😀\ud800"


@pytest.mark.parametrize("seed", range(5))
def test_the_gather_template_is_the_library_document_byte_for_byte(seed: int) -> None:
    """Escaping, forbidden characters, empty and absent speech, hints, keypad and voice all agree."""
    rng = random.Random(seed)
    for _ in range(400):
        say = "".join(rng.choice(TRICKY) for _ in range(rng.randrange(12)))
        url = "http://127.0.0.1:8000/twilio/gather?turn=1" + "".join(rng.choice(TRICKY[:-1]) for _ in range(3))
        reply = Reply(say=say, expect=rng.choice([None, "zip", "phone", "window", "name"]), keypad=rng.random() < 0.3)
        voice = rng.choice([None, "Polly.Matthew", 'odd"voice&'])
        assert twiml.listen(reply, url, voice=voice) == twiml.listen_built(reply, url, voice=voice)


@pytest.mark.parametrize("seed", range(3))
def test_the_hang_up_template_is_the_library_document_byte_for_byte(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(400):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randrange(12)))
        voice = rng.choice([None, "Polly.Matthew", 'odd"voice&'])
        assert twiml.speak_then_hang_up(text, voice=voice) == twiml.speak_then_hang_up_built(text, voice=voice)


def test_caller_words_cannot_break_out_of_the_say() -> None:
    reply = Reply(say='</Say><Hangup/> & "more"', expect="address")
    document = twiml.listen(reply, "http://127.0.0.1:8000/twilio/gather?turn=2&x=1")
    assert "<Hangup" not in document
    assert '&lt;/Say&gt;&lt;Hangup/&gt; &amp; "more"' in document
    assert 'action="http://127.0.0.1:8000/twilio/gather?turn=2&amp;x=1"' in document
