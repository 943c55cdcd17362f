"""How fed up the caller sounds in this utterance, 0..1; 0.7 or more means hand over to a person."""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.text import Utterance, normalise
from hvac_agent.dialogue.nlu.types import NluContext

TRANSFER_AT = 0.7

_STRONG_SWEAR = Gated(
    re.compile(
        r"\b(?:fuck\w*|f\*+\w*|motherfuck\w*|shit\w*|bullshit|bitch\w*|asshole|goddamn\w*|god damn|"
        r"piss(?:ed)?(?: off)?|screw (?:this|you|it))\b"
    ),
    (
        "*",
        "asshole",
        "bitch",
        "fuck",
        "god damn",
        "goddamn",
        "piss",
        "screw",
        "shit",
    ),
)
_MILD_SWEAR = Gated(
    re.compile(
        r"\b(?:damn\w*|dammit|crap|hell|freaking|friggin\w*|frigging|bloody)\b",
    ),
    (
        "bloody",
        "crap",
        "dammit",
        "damn",
        "freaking",
        "friggin",
        "hell",
    ),
)
# Words that describe the problem as often as the call ("a terrible smell", "an annoying noise",
# "the heat won't come on") count only when aimed at the call itself.
_AIMED = (
    r"(?:terrible|horrible|awful|pathetic|useless|ridiculous|unbelievable|crazy|insane|nuts|"
    r"a joke|stupid|dumb|annoying|frustrating|absurd|a nightmare|impossible)"
)
_EXPLICIT = Gated(
    re.compile(
        r"\b(?:frustrated|annoyed|idiot\w*|"
        rf"(?:this|that|you|you'?re|this is|that'?s|it'?s|this call|this system|this service|your service)"
        rf"(?: is| are)? (?:so |really |just |absolutely |completely )?{_AIMED}(?= *$| and| but| i | you)|"
        rf"^{_AIMED}$|{_AIMED} (?:service|system|machine|robot|computer|bot|menu|company)|"
        r"waste of (?:my )?time|fed up|sick (?:of|and tired)|are you (?:even )?"
        r"listening|you'?re not listening|not listening|this is (?:crazy|insane|nuts|a joke)|"
        r"give me a break|for crying out loud|what is wrong with you|you don'?t understand|"
        r"you'?re not understanding|you keep asking|stop asking|that'?s enough|enough already|"
        r"i'?ve had enough|^(?:oh |aw |ah )?come on\b(?! in| over| out| by| back)|^seriously|seriously\??$|"
        r"are you serious|unacceptable|for (?:god'?s|pete'?s|heaven'?s|christ'?s|crying out loud) sake|"
        r"on hold (?:forever|so long|for (?:ever|an hour|so long))|"
        r"been waiting forever|taking (?:way |so |too |forever)+(?:long)?|this is taking forever|"
        r"i'?m (?:so |really )?(?:upset|angry|mad|pissed)|hate (?:this|these|talking)|incompetent|"
        r"clueless|worthless|hopeless|you people|what a joke|(?:second|third|fourth|fifth|\d+(?:nd|rd|th)) "
        r"time (?:i'?m calling|i'?ve called|calling|i called)|called (?:you )?(?:twice|three times|"
        r"several times|multiple times|so many times))\b"
    ),
    (
        " time calling",
        " time i'm calling",
        " time im calling",
        "a joke",
        "a nightmare",
        "absurd",
        "angry",
        "annoy",
        "asking",
        "awful",
        "called",
        "clueless",
        "come on",
        "crazy",
        "dumb",
        "enough",
        "fed up",
        "for crying out loud",
        "forever",
        "frustrat",
        "give me a break",
        "hate",
        "hold",
        "hopeless",
        "horrible",
        "idiot",
        "impossible",
        "incompetent",
        "insane",
        "listening",
        "mad",
        "nuts",
        "pathetic",
        "pissed",
        "ridiculous",
        "sake",
        "serious",
        "sick",
        "stupid",
        "taking ",
        "terrible",
        "unacceptable",
        "unbelievable",
        "understand",
        "upset",
        "useless",
        "waste",
        "what is wrong with you",
        "worthless",
        "you people",
    ),
)
_ALREADY = Gated(
    re.compile(
        r"\b(?:i (?:already|just) (?:told|said|gave|answered)|i told you|like i said|i said already|"
        r"already told|how many times|i'?ve said|asked (?:me )?that already|"
        r"you asked (?:me )?(?:that|already))\b"
    ),
    (
        "already",
        "asked",
        "how many times",
        "i just answered",
        "i just gave",
        "i just said",
        "i just told",
        "i told you",
        "i've said",
        "ive said",
        "like i said",
    ),
)


_I_SAID = Gated(
    re.compile(
        r"\bi said\b",
    ),
    ("i said",),
)


def _similar(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


def frustration_score(utt: Utterance, ctx: NluContext) -> float:
    """Combine independent signals as 1 - Π(1 - wᵢ): one strong sign is enough, weak ones add up."""
    weights: list[float] = []
    t = utt.norm
    if _STRONG_SWEAR.search(t):
        weights.append(0.7)
    elif _MILD_SWEAR.search(t):
        weights.append(0.3)
    n_explicit = len(_EXPLICIT.findall(t))
    if n_explicit:
        weights.append(0.5 if n_explicit == 1 else 0.7)
    if _ALREADY.search(t):
        weights.append(0.5)
    elif _I_SAID.search(t):
        weights.append(0.4)  # "I said Duval": repeating themselves, maybe to correct us
    if len(utt.tokens) >= 2:
        repeats = sum(
            1 for prev in ctx.previous_caller_texts[-4:] if _similar(utt.tokens, normalise(prev).split()) >= 0.8
        )
        if repeats >= 2:
            weights.append(0.7)
        elif repeats == 1:
            weights.append(0.35)
    if len(ctx.previous_caller_texts) >= 20:  # a long call wears anyone down
        weights.append(0.2)
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return round(1.0 - remaining, 3)
