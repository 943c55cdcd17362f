"""Corrections at any point: "no it's kim with a k", "actually the address is …", "wrong number"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext, SlotName

_CUE = Gated(
    re.compile(
        r"^(?:(?:oh|well|um|uh|sorry|wait|hold on)\s+)*(?:no|nope|nah|not)\s+(?:no\s+)?(?:it'?s|its|it is|my|"
        r"the|i said|that'?s|that is|i meant|i mean|it should be|it'?s actually|we'?re|i'?m|that was)\b"
        r"|\bactually\b|\bi meant\b|\bi mean\b(?! (?:yeah|yes|yep|sure|ok|okay)\b)|\bcorrection\b|\bscratch that\b|"
        r"\blet me correct\b"
        r"|\bwrong (?:number|name|address|zip|street|apartment|unit|day|time)\b"
        r"|\bthat'?s not (?:my|the right|right|correct|it)\b|\bthat isn'?t (?:my|right)\b"
        r"|\bshould (?:be|say|end (?:in|with))\b|\bshould(?: have|'ve) been\b|\bends? (?:in|with) \S+ not\b"
        r"|\bit'?s not [a-z0-9]+ it'?s\b"
        r"|\bnot [a-z0-9]+ but\b|\binstead\b"
        r"|\bchange (?:my|the) (?:name|number|phone|address|zip|apartment|unit|street|day|date|time|window)\b"
        r"|^(?:no|nope|nah)\s+\d"
        # A street taken back, or the street or house number named anew: "not duval street", "the
        # street is duval road", "the house number is 4014".
        r"|\bnot (?:\S+ ){1,3}(?:street|st|road|rd|avenue|ave|drive|dr|lane|ln|boulevard|blvd|court|way|circle)\b"
        r"|\bthe street(?:'s| is)\b|\b(?:house|street) number(?:'s| is)\b"
        r"|\bmisspelled\b|\bspelled wrong\b|\byou (?:have|got) (?:it|that|my \w+) wrong\b|\bi said\b"
        r"|\bthe (?:last|first) (?:four|three|digits)\b|\bwith an? [a-z]\b|\bspelled\b"
        r"|^(?:no )?[a-z0-9']+(?: [a-z0-9']+)? not [a-z0-9']+$"
        r"|(?:\b(?:it'?s|its|is|was)|'s) (?!not\b)[a-z0-9']+(?: [a-z0-9']+){0,3}(?: [a-z])* not [a-z0-9']+"
        r"|\b(?:my|the|your|our) old (?:address|number|phone|zip|street)\b|\bgave you (?:the |my |a )?(?:wrong|old)\b"
        r"|\b(?:gave|told) you (?:\S+ ){1,6}?(?:earlier|before|but)\b"
        # "all of that's right except it's 2218", "same as before only the number is 2218", "that's off"
        r"|\b(?:except|only|just)(?: that| for)? (?:it'?s|its|the|my)\b|\b(?:that'?s|it'?s|is|was) off\b"
        r"|\b(?:flipped|mixed up|swapped|off by|messed up|got (?:it|that) wrong|made a mistake)\b"
        # "zero one two three no zero two one three": digits said, taken back with "no", said again.
        r"|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d+) no (?:zero|oh|one|two|three|four|five|six|"
        r"seven|eight|nine|\d+)\b|\b(?:put|book|have|make) (?:it|the appointment|that|this) under\b"
    ),
    (
        "actually",
        "address",
        "change",
        "correct",
        "digits",
        "except",
        "flipped",
        "gave you ",
        "house number is",
        "house number's",
        "i mean",
        "i said",
        "instead",
        "is off",
        "isnt",
        "it's off",
        "its off",
        "just for it's",
        "just for its",
        "just for my",
        "just for the",
        "just it's",
        "just its",
        "just my",
        "just that it's",
        "just that its",
        "just that my",
        "just that the",
        "just the",
        "made a mistake",
        "messed up",
        "mixed up",
        "my old number",
        "my old phone",
        "my old zip",
        "nah",
        "no",
        "off by",
        "only",
        "our old number",
        "our old phone",
        "our old zip",
        "scratch that",
        "should",
        "spelled",
        "street",
        "swapped",
        "that isn't my",
        "that isn't right",
        "that's off",
        "thats off",
        "the first four",
        "the first three",
        "the last four",
        "the last three",
        "the old number",
        "the old phone",
        "the old zip",
        "told you ",
        "under",
        "was off",
        "with a ",
        "with an ",
        "wrong",
    ),
)
# Cues that are a correction by themselves; "actually", "instead", "i mean" need a slot to act on.
_STRONG_CUE = re.compile(
    r"^(?:(?:oh|well|um|uh|sorry|wait|hold on)\s+)*(?:no|nope|nah|not)\b|\bwrong\b|\bthat'?s not\b"
    r"|\bi said\b|\bcorrection\b|\bscratch that\b|\bmisspelled\b|\bshould (?:be|say|end (?:in|with))\b"
)
_SLOT_WORDS: list[tuple[re.Pattern[str], SlotName]] = [
    (re.compile(r"\b(?:name|spell(?:ed|ing)?|last name|first name|with an? [a-z])\b"), "name"),
    (re.compile(r"\b(?:number|phone|cell|digits|last four|area code)\b"), "phone"),
    (re.compile(r"\b(?:address|street|house number|road|avenue|drive|lane)\b"), "address"),
    (re.compile(r"\b(?:zip|zip code|postal)\b"), "zip"),
    (re.compile(r"\b(?:apartment|unit|suite|apt)\b"), "unit"),
    (re.compile(r"\b(?:problem|issue)\b"), "issue"),
    (re.compile(r"\b(?:day|time|window|appointment|morning|afternoon)\b"), "window"),
]
_NOT_THIS = re.compile(r"\bnot (?:my |the |your )?$")
_EXPECT_SLOT: dict[str, SlotName] = {
    "name": "name",
    "phone": "phone",
    "phone_confirm": "phone",
    "address": "address",
    "zip": "zip",
    "issue": "issue",
    "window": "window",
}


@dataclass
class CorrectionResult:
    correction: bool = False
    corrected: list[SlotName] = field(default_factory=list)


def extract_correction(
    utt: Utterance, ctx: NluContext, found: list[SlotName], yes_but: bool, agreed: bool = False
) -> CorrectionResult:
    """`found` lists the slots this utterance gave values for, in the order they matter.

    At the read-back (`expect == "confirm"`) a value without a plain "yes" is a correction even
    without a cue word: "its dayna d a y n a".
    """
    if not (yes_but or _CUE.search(utt.norm)):
        if ctx.expect == "confirm" and found and not agreed:
            return CorrectionResult(correction=True, corrected=list(dict.fromkeys(found)))
        return CorrectionResult()
    # "actually" is also just a filler: a correction needs a target.
    named: list[SlotName] = []
    for pat, slot in _SLOT_WORDS:
        for m in pat.finditer(utt.norm):
            if not _NOT_THIS.search(utt.norm, 0, m.start()):  # "not my name, my number"
                named.append(slot)
                break
    if "number" in utt.norm and ("address" in named or "unit" in named) and "phone" in named and ("phone" not in found):
        named.remove("phone")  # "house number", "apartment number"
    targets: list[SlotName] = []
    for slot in [*found, *named]:
        if slot not in targets:
            targets.append(slot)
    strong = yes_but or _STRONG_CUE.search(utt.norm) is not None
    if not targets and strong and ctx.expect in _EXPECT_SLOT and not re.fullmatch(r"(?:no|nope|nah|not)", utt.norm):
        targets.append(_EXPECT_SLOT[ctx.expect])
    if not targets:
        # A bare value read back wrong: "it should be 4410 not 4401".
        lengths = [len(r.digits) for r in utt.runs]
        if lengths:
            n = max(lengths)
            digits = max(utt.runs, key=lambda r: len(r.digits)).digits
            tail = ctx.current_phone[-4:] if ctx.current_phone else ""
            near_tail = n == 4 and tail and sum(a != b for a, b in zip(digits, tail, strict=True)) <= 2
            targets.append("phone" if n >= 7 or near_tail else "zip" if n == 5 else "address")
    if not targets:
        return CorrectionResult()
    return CorrectionResult(correction=True, corrected=targets)
