"""What the caller wants: book, cancel, reschedule, ask, talk to a person, or leave."""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.negation import negated, token_index
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import Intent, QuestionTopic

_IDENTITY = re.compile(
    r"\b(?:are you|am i (?:talking|speaking) (?:to|with)|is this|is that|you'?re|you are|is it) "
    r"(?:a |an |the )?(?:real|live|actual)? ?(?:person|human|robot|bot|computer|machine|ai|a i|"
    r"recording|automated|artificial intelligence|people)\b"
    r"|\bwho (?:is this|am i (?:talking|speaking) (?:to|with)|are you|is speaking)\b"
    r"|\bwhat are you\b|\bare you real\b"
)
# Asking for a person. Words that are unambiguous count anywhere; roles ("agent", "manager",
# "the office", "a person") only when asked for, since callers also mention their insurance agent,
# their property manager, or the person who came out last time.
_ROLE = (
    r"(?:agent|manager|person|human|humans|dispatcher|receptionist|owner|office|someone|somebody|"
    r"anyone|anybody|supervisor|technician|tech|people|guy|lady|woman|man)"
)
# "I need someone" / "can I get a technician" ask for a visit; these roles only for a person now.
_DESK_ROLE = r"(?:agent|manager|person|human|dispatcher|receptionist|supervisor|owner|office)"
_NOT_OURS = r"(?<!insurance )(?<!property )(?<!building )(?<!leasing )(?<!estate )(?<!apartment )"
_HUMAN = re.compile(
    r"\b(?:representative|rep|operator|real person|live person|actual person|human being|real human|"
    r"actual human|live human|someone real|somebody real|customer service|supervisor|transfer me|"
    r"put me through|live agent|real agent)\b"
    rf"|\b(?:talk|speak|speaking|talking)(?: to| with)? (?:a |an |the |your |some )?(?:real |live |actual "
    rf"|other )?{_NOT_OURS}{_ROLE}\b"
    rf"|\b(?:connect me|transfer me|put me through|get me|give me|let me have|i want|i need|i'?d like|"
    rf"can i have|can i get|is there)(?: to| with| through to)? (?:a |an |the |your |some )?(?:real |live "
    rf"|actual |other )?{_NOT_OURS}{_DESK_ROLE}\b"
    rf"|^(?:an? |the |your |some )?(?:real |live )?{_ROLE}(?: please| now| right now)?$"
    r"|\b(?:someone|somebody|anyone|anybody) (?:i can|i could) (?:talk|speak)\b"
    r"|\b(?:don'?t|do not) (?:want to|wanna) (?:talk|speak) (?:to|with) (?:a |the |this |an )?"
    r"(?:robot|machine|computer|bot|ai|a i|recording)\b"
)
# "I don't need a person": only a verb's negation refuses one ("no, I want a person" asks for one).
_REFUSED = re.compile(r"\b(?:don'?t|do not|doesn'?t|not|never|no need for)(?: \S+){0,3} ?$")
# A wish to cancel a visit; "I had to cancel last time" and "cancel that" (scratch that) are not.
_CANCEL = re.compile(
    r"\b(?:cancel(?:l?ing)?|call off) (?:my |the |our |this |an? |tomorrow'?s |today'?s |\w+day'?s )?"
    r"(?:appointment|visit|service|service call|booking|technician|tech|reservation)\b"
    r"|\b(?:want|need|like|have|going|gonna|wanna|trying) to cancel\b|\bcancellation\b"
    r"|^(?:(?:yes|yeah|i|please|just|so) )*cancel(?: it| please| it please| everything)?$|\bcall (?:it|the visit) off\b"
    r"|\bdon'?t need (?:the|my) (?:appointment|visit|technician)\b"
)
_RESCHEDULE = re.compile(
    r"\bre ?schedul(?:e|ing)\b|\b(?:move|change|push|switch|shift|bump) (?:my|the|our) "
    r"(?:appointment|visit|booking|time|day)\b|\b(?:different|another|new) (?:day|time|date)\b"
    r"|\bpush (?:it|that) back\b|\bmove (?:it|that) to\b|\bchange (?:it|that) to\b"
    r"|\b(?:need|want|have|like) to (?:move|change|push|switch|shift) (?:it|that|the appointment)\b"
)
_BOOK = re.compile(
    r"\b(?:book|schedule|set up|make|get) (?:an? |the )?(?:appointment|service call|visit|repair|"
    r"tech|technician|service|someone|somebody)\b|\bbook(?:ing)?\b|\bschedul(?:e|ing)\b"
    r"|\b(?:send|get|need|want|have) (?:someone|somebody|a tech|a technician|a guy|a repairman|a repair "
    r"man) (?:out|over|to come|to look|to take a look|to check|to fix|to repair)\b|\bcome (?:out|over|by|take a look)\b"
    r"|\bneed (?:a |an )?(?:repair|service|technician|tech|appointment)\b|\bservice call\b"
    r"|\b(?:can|could|when can|when could|will) (?:you|someone|somebody|a tech|a technician) "
    r"(?:come|get here|get out|stop by|send)\b"
)
_HOURS = re.compile(
    r"\b(?:hours|what time do you (?:open|close)|when do you (?:open|close)|are you open|"
    r"when are you open|open on (?:saturday|sunday|weekends?)|open (?:today|tomorrow|now)|"
    r"business hours|work (?:on )?(?:weekends|saturdays?|sundays?)|open (?:on )?(?:weekends|holidays))\b"
)
_AREA = re.compile(
    r"\b(?:service area|do you (?:guys |all |folks )?(?:service|serve|cover|go to|come to|work in|"
    r"come out to|go out to)|"
    r"what areas?|areas? (?:do )?you (?:serve|cover|service)|are you in my area|in your area|"
    r"come out (?:to|that far)|how far do you)\b"
)
_PRICE = re.compile(
    r"\b(?:how much|cost|costs|price|prices|pricing|fee|fees|charge|charges|rates?|estimate|quote|"
    r"expensive|dispatch fee|service fee|trip charge|what do you charge)\b"
)
_QUOTE = re.compile(r"\b(?:pricing)\b")
# The profile's FAQ topics (issue 10): asked about, not a request for a visit.
_TOPIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("financing", re.compile(r"\b(?:financ\w*|monthly payments?|payment plans?|interest|credit check)\b")),
    ("warranty", re.compile(r"\b(?:warrant\w*|guarantee\w*)\b")),
    ("discounts", re.compile(r"\b(?:discounts?|coupons?|specials?|promotions?|deals?|rebates? (?:do|from) you)\b")),
    ("licensing", re.compile(r"\b(?:licen[sc]ed?|license number|insured|bonded|liability insurance|certified)\b")),
    (
        "payment",
        re.compile(
            r"\b(?:credit cards?|debit|checks?|cash|venmo|zelle|paypal|apple pay|pay (?:up front|"
            r"upfront|after|the technician|with|by)|forms? of payment|do i pay|when do i pay)\b"
        ),
    ),
    (
        "brands",
        re.compile(
            r"\b(?:brands?|trane|carrier|lennox|rheem|goodman|mitsubishi|daikin|bryant|york|ruud|"
            r"american standard|amana|fujitsu|dealer)\b"
        ),
    ),
]
_ASKS = re.compile(
    r"\b(?:do you|do y'?all|are you|are your|is (?:it|that|there|your|cash)|can i|what|which|how|"
    r"does|is that something|any)\b|\?$"
)
_QUESTION_CUE = re.compile(
    r"\b(?:what|when|how|do you|are you|is there|can you tell|wondering|question|is it|does it)\b"
)
# Farewells end a call anywhere; "that's it", "never mind" only answer "anything else?" (or open a
# call): "yeah that's it" to a read-back question must not hang up.
_FAREWELL = re.compile(
    r"\b(?:bye|goodbye|good bye|bye bye|see ya|have a good (?:day|night|one|evening|weekend)|"
    r"have a nice (?:day|one|evening)|talk to you later)\b"
)
_DONE = re.compile(
    r"^(?:(?:no|nope|nah|ok|okay|alright|well|yeah|um|uh) )*(?:that'?s all|that'?s it|that'?s everything|"
    r"nothing else|i'?m all set|we'?re all set|i'?m good|we'?re good|never mind|nevermind|forget it|"
    r"no thanks|no thank you|that will be all|that'?ll be all)\b"
)


def extract_intent(utt: Utterance, ctx: NluContext) -> tuple[Intent | None, QuestionTopic | None]:
    t = utt.norm
    m = _HUMAN.search(t)
    if m and m.group(0).startswith(("don't", "dont", "do not")):
        return "human", None  # "I don't want to talk to a robot"
    if _IDENTITY.search(t):
        return "question", "identity"
    if m and not _REFUSED.search(t, 0, m.start()):
        return "human", None
    if _RESCHEDULE.search(t):
        return "reschedule", None
    m = _CANCEL.search(t)
    if m and not negated(utt.tokens, token_index(t, m.start()), window=3):
        return "cancel", None
    question = _QUESTION_CUE.search(t) is not None or ctx.expect == "anything_else"
    if _ASKS.search(t) or "?" in utt.raw:
        for topic, pattern in _TOPIC_PATTERNS:
            if pattern.search(t):
                return "question", topic  # type: ignore[return-value]  # the labels are QuestionTopics
    wants_quote = re.search(r"\b(?:quote|estimate)\b", t) and not re.search(
        r"\b(?:how much|charge|cost|costs|fee|free)\b", t
    )
    if not wants_quote and (_QUOTE.search(t) or _PRICE.search(t) and (question or len(utt.tokens) <= 4)):
        return "question", "price"
    if _HOURS.search(t):
        return "question", "hours"
    if _AREA.search(t) and not re.search(
        r"\bservice (?:my|the|our|a) (?:ac|a c|furnace|unit|system|heater|heat pump|boiler|mini split)\b", t
    ):
        return "question", "service_area"
    if _FAREWELL.search(t) and not _BOOK.search(t):
        return "goodbye", None
    if ctx.expect in ("anything_else", "intent", None) and _DONE.search(t) and not _BOOK.search(t):
        return "goodbye", None
    if ctx.expect == "anything_else" and re.fullmatch(
        r"(?:no|nope|nah|no thanks|no thank you)"
        r"(?: (?:thanks|thank you))?",
        t,
    ):
        return "goodbye", None
    if _BOOK.search(t):
        return "book", None
    return None, None
