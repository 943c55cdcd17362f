"""TwiML builders: a dialogue `Reply` → Twilio voice XML, built with the `twilio` library.

Caller-influenced text only ever enters TwiML through these builders: the library escapes XML
metacharacters and we strip the characters XML 1.0 forbids outright. The gather turn's `<Gather>`
(every turn of a call) and the closing `<Say>`/`<Hangup>` (every booked call's last turn) are
written from templates instead, with the same escaping and the same bytes as the library's (the
library's element tree cost more than the rest of rendering a turn).
"""

from __future__ import annotations

import re

from twilio.twiml.voice_response import Connect, Dial, Gather, VoiceResponse

from hvac_agent.dialogue.state import Reply

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
VOICE = "Polly.Joanna"
LANGUAGE = "en-US"
DIAL_TIMEOUT_S = 25

_HINTS: dict[str, str] = {
    "phone": "area code,oh,double,triple,my number is,calling from",
    "phone_confirm": "yes,no,that's right,this number,different number",
    "returning": "yes,no,same address,different address,street,avenue,road,drive",
    "zip": "zip code,seven eight seven",
    "address": "street,avenue,road,drive,lane,boulevard,apartment,unit,suite,zip code",
    "window": "the first one,the second one,the earliest,tomorrow morning,afternoon,next week",
    "confirm": "yes,no,that's right,correct,book it,change",
    "yes_no": "yes,no,message,leave a message",
    "urgency": "yes,no,elderly,baby,infant,medical",
}


def clean(text: str) -> str:
    """Text safe for XML: forbidden characters removed, whitespace tidied."""
    return " ".join(_XML_FORBIDDEN.sub("", text).split())


def _xml(response: VoiceResponse) -> str:
    return str(response.to_xml(xml_declaration=True))


_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def listen(reply: Reply, action_url: str, *, voice: str | None = None) -> str:
    """A turn that waits for the caller: `<Gather>` holding the `<Say>`.

    `actionOnEmptyResult` makes silence a normal turn (Twilio posts with no SpeechResult).
    The same document `listen_built` makes with the library (attributes in its sorted order).
    """
    hints = _HINTS.get(reply.expect or "")
    gather = (
        f'<Gather action="{action_url.translate(_ATTRIBUTE_ESCAPES)}" actionOnEmptyResult="true" enhanced="true" '
        'finishOnKey="#" '
        + (f'hints="{hints.translate(_ATTRIBUTE_ESCAPES)}" ' if hints else "")
        + f'input="speech dtmf" language="{LANGUAGE}" method="POST" speechModel="phone_call" speechTimeout="auto" '
        f'timeout="{6 if reply.keypad else 5}"'
    )
    if not reply.say:
        return f"{_DECLARATION}<Response>{gather} /></Response>"
    return f"{_DECLARATION}<Response>{gather}>{_say(reply.say, voice)}</Gather></Response>"


def listen_built(reply: Reply, action_url: str, *, voice: str | None = None) -> str:
    """`listen` built with the `twilio` library (what the template must equal)."""
    response = VoiceResponse()
    gather = Gather(
        input="speech dtmf",
        action=action_url,
        method="POST",
        action_on_empty_result=True,
        speech_timeout="auto",
        speech_model="phone_call",
        enhanced=True,
        language=LANGUAGE,
        timeout=6 if reply.keypad else 5,
        finish_on_key="#",
        hints=_HINTS.get(reply.expect or "", None),
    )
    if reply.say:
        gather.say(clean(reply.say), voice=voice or VOICE, language=LANGUAGE)
    response.append(gather)
    return _xml(response)


def _say(text: str, voice: str | None) -> str:
    """`<Say>` as the library writes it (the templates' one way to speak)."""
    said = clean(text).translate(_TEXT_ESCAPES)
    say = f'<Say language="{LANGUAGE}" voice="{(voice or VOICE).translate(_ATTRIBUTE_ESCAPES)}"'
    return say + (f">{said}</Say>" if said else " />")


def speak_then_hang_up(text: str, *, voice: str | None = None) -> str:
    """`<Say>` then `<Hangup>`: the last turn of every booked call (and each refusal), so written
    from a template too; the same document `speak_then_hang_up_built` makes with the library."""
    return f"{_DECLARATION}<Response>{_say(text, voice) if text else ''}<Hangup /></Response>"


def speak_then_hang_up_built(text: str, *, voice: str | None = None) -> str:
    response = VoiceResponse()
    if text:
        response.say(clean(text), voice=voice or VOICE, language=LANGUAGE)
    response.hangup()
    return _xml(response)


def transfer(
    text: str, number: str, dial_done_url: str, *, voice: str | None = None, timeout_s: int = DIAL_TIMEOUT_S
) -> str:
    """`<Dial>` to a person; `dial_done_url` hears how it went (no answer → take a message)."""
    response = VoiceResponse()
    if text:
        response.say(clean(text), voice=voice or VOICE, language=LANGUAGE)
    dial = Dial(action=dial_done_url, method="POST", timeout=timeout_s)
    dial.number(number)
    response.append(dial)
    return _xml(response)


def take_message(text: str, message_url: str) -> str:
    """The transfer fallback: ask for a message and gather it as speech."""
    response = VoiceResponse()
    gather = Gather(
        input="speech",
        action=message_url,
        method="POST",
        action_on_empty_result=True,
        speech_timeout="auto",
        speech_model="phone_call",
        language=LANGUAGE,
        timeout=8,
    )
    gather.say(clean(text), voice=VOICE, language=LANGUAGE)
    response.append(gather)
    return _xml(response)


def connect_stream(stream_url: str, action_url: str, parameters: dict[str, str]) -> str:
    """Stream mode: `<Connect><Stream>`; Twilio posts `action_url` once our side closes the stream."""
    response = VoiceResponse()
    connect = Connect(action=action_url, method="POST")
    stream = connect.stream(url=stream_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=clean(value))
    response.append(connect)
    return _xml(response)


def render(reply: Reply, *, action_url: str, dial_done_url: str, voice: str | None = None) -> str:
    """The TwiML for one dialogue reply in gather mode (`voice`: the call's, None = the default)."""
    if reply.action == "transfer" and reply.transfer_to:
        return transfer(reply.say, reply.transfer_to, dial_done_url, voice=voice)
    if reply.action == "hangup":
        return speak_then_hang_up(reply.say, voice=voice)
    return listen(reply, action_url, voice=voice)
