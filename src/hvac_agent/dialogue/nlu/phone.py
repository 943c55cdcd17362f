"""Callback numbers: spoken or typed digits, across utterances, validated and made E.164."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers

from hvac_agent.caller_caches import caller_text_cache
from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext

_CALLER_ID = Gated(
    re.compile(
        r"\b(?:(?:this|that|same|current|the same) (?:phone |cell |cell phone )?(?:number|phone)"
        r"|(?:the )?(?:one|number|phone) (?:i'?m|i am|im) (?:calling|calling you) (?:from|on)"
        r"|(?:i'?m|i am|im) calling (?:you )?(?:from|on)"
        r"|(?:number|one) (?:you (?:have|got|see)|on (?:your|the) (?:screen|caller id))"
        r"|caller id|the number (?:i'?m|i am) on|(?:number|one) (?:i|you) called (?:from|on)|i called from)\b"
    ),
    (
        "calle",
        "calling",
        "cell",
        "current",
        "number you got",
        "number you have",
        "number you see",
        "one you got",
        "one you have",
        "one you see",
        "same",
        "screen",
        "that number",
        "that phone",
        "the number i am on",
        "the number i'm on",
        "the number im on",
        "this number",
        "this phone",
    ),
)
# "this one"/"that one" means the caller ID only when we just asked about the number.
_THIS_ONE = re.compile(
    r"\b(?:this|that|the same) one\b|\bthis phone\b|\bmy cell\b"
    r"|\b(?:the )?(?:one|number|phone) (?:i'?m|i am|im) (?:on|using|calling with)\b"
    r"|\b(?:use|keep|call|try) (?:it|this|that|the same)\b"
    r"|\b(?:call|reach|get|text|ring|find) (?:me|us)(?: back)? (?:here|on this|at this)\b"
    r"|\bwhat(?:ever)? (?:you|ya) (?:have|got|see)\b"
    # "that's fine honey" to "is the number you're calling from best?"
    r"|^(?:(?:yeah|yes|oh|well|sure) )*(?:that'?s|that is|it'?s|that one'?s|that one is) (?:fine|good|ok|okay|best|"
    r"perfect|great)(?: (?:honey|dear|hon|sweetie|sugar|sir|ma'?am|thanks|thank you))?$"
)
_NOT_CALLER_ID = re.compile(r"\b(?:not|wrong|different|another|isn'?t|don'?t|other|instead|rather)\b")
_KEYWORD = Gated(
    re.compile(
        r"\b(?<!house )(?<!apartment )(?<!unit )(?<!street )(?<!suite )(?<!room )"
        r"(?:number|phone|cell|area code|reach me|call me|callback|call back|digits)\b"
    ),
    (
        "area code",
        "call back",
        "call me",
        "callback",
        "cell",
        "digits",
        "number",
        "phone",
        "reach me",
    ),
)


@dataclass
class PhoneResult:
    phone: str | None = None
    digits: str | None = None  # an incomplete number to carry to the next turn
    use_caller_id: bool = False
    runs: set[int] = field(default_factory=set)  # indexes into Utterance.runs that were used
    rest: str = ""  # digits said right after the number in the same run (a ZIP, usually)


@caller_text_cache  # callers' numbers: emptied on "forget me" (caller_caches.py)
@lru_cache(maxsize=4096)
def to_e164(digits: str) -> str | None:
    """E.164 of a valid NANP number given as 10 digits, or 11 with the leading 1; else None."""
    if len(digits) == 10:
        candidate = "+1" + digits
    elif len(digits) == 11 and digits[0] == "1":
        candidate = "+" + digits
    elif len(digits) > 11:
        candidate = "+" + digits
    else:
        return None
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def complete_number(digits: str) -> str | None:
    """E.164 of a whole number as heard (10 digits, 11 with a leading 1), else None."""
    if len(digits) == 11 and digits[0] == "0":  # "oh five one two …": a hesitation read as zero
        digits = digits[1:]
    return to_e164(digits)


def splice_tail(known_e164: str, tail: str) -> str | None:
    """ "No, it's 0132": replace the last digits of the number already heard."""
    national = known_e164[2:] if known_e164.startswith("+1") else known_e164.lstrip("+")
    if not 3 <= len(tail) <= 7 or len(tail) >= len(national):
        return None
    return to_e164(national[: -len(tail)] + tail)


_GROUP_STARTS = {"area": 0, "middle": 3, "tail": 6}


def splice_part(known_e164: str, new: str, old: str | None, where: str | None) -> str | None:
    """ "The area code is 737 not 512", "the middle part is 556": replace one group of the number.

    `old` (the digits taken back) must be found in the number where they are said to be; without
    it, `where` ("area", "middle", "tail") places a group of the usual length (3, 3, 4)."""
    national = known_e164[2:] if known_e164.startswith("+1") else known_e164.lstrip("+")
    if len(national) != 10 or not new.isdigit():
        return None
    if old:
        if len(old) != len(new):
            return None
        starts = [i for i in range(len(national) - len(old) + 1) if national.startswith(old, i)]
        if where in _GROUP_STARTS:
            starts = [i for i in starts if i == _GROUP_STARTS[where] or (where == "tail" and i + len(old) == 10)]
        aligned = [i for i in starts if i in (0, 3, 6) or i + len(old) == 10]
        if len(aligned) != 1 and len(starts) != 1:
            return None
        at = aligned[0] if len(aligned) == 1 else starts[0]
    elif where in _GROUP_STARTS and len(new) == (4 if where == "tail" else 3):
        at = _GROUP_STARTS[where]
    else:
        return None
    return to_e164(national[:at] + new + national[at + len(new) :])


def wants_caller_id(utt: Utterance, ctx: NluContext) -> bool:
    m = _CALLER_ID.search(utt.norm)
    if not m and ctx.expect in ("phone", "phone_confirm"):
        m = _THIS_ONE.search(utt.norm)
    if not m:
        return False
    # "not this number", "that's the wrong number": a refusal of the caller ID, not a choice.
    before = utt.norm[max(0, m.start() - 25) : m.start()]
    after = utt.norm[m.end() : m.end() + 12]
    return not (_NOT_CALLER_ID.search(before) or _NOT_CALLER_ID.search(after))


# A number started, then dropped for the caller ID: "512 you know what just use this one".
_GIVE_UP = re.compile(r"\b(?:you know what|actually|never mind|nevermind|forget (?:it|that)|on second thought)\b")


def extract_phone(utt: Utterance, ctx: NluContext) -> PhoneResult:
    res = PhoneResult(use_caller_id=wants_caller_id(utt, ctx))
    if res.use_caller_id and utt.runs and (give_up := _GIVE_UP.search(utt.norm)):
        after = Utterance.of(utt.norm[give_up.end() :])
        if not after.runs and wants_caller_id(after, ctx):
            return res  # the digits before were abandoned
    runs = utt.runs
    expecting = ctx.expect in ("phone", "phone_confirm")
    # Digits heard earlier continue only while we are still asking for the number.
    pending = ctx.pending_phone_digits if expecting or ctx.expect is None else ""
    # A complete number in one run ("512 555 0123", "+1 512…", "five one two five five five …").
    for k, run in enumerate(runs):
        if len(run.digits) >= 10:
            e164 = complete_number(run.digits)
            if e164 is None and pending and len(run.digits) < 11:
                e164 = complete_number(pending + run.digits)
            if e164:
                res.phone, res.runs = e164, {k}
                return res
            # "five one two five five five oh one two three seven eight seven five one": a number
            # and a ZIP in one breath.
            for head in (11, 10):
                if len(run.digits) == head + 5 and (head == 10 or run.digits[0] == "1"):
                    e164 = complete_number(run.digits[:head])
                    if e164:
                        res.phone, res.runs, res.rest = e164, {k}, run.digits[head:]
                        return res
    kw = _KEYWORD.search(utt.dig)
    if not (expecting or pending or kw):
        return res
    if expecting or pending:
        chosen = list(range(len(runs)))
    else:
        # Only digits said after "number"/"area code" belong to the phone.
        kw_tok = utt.dig[: kw.start()].count(" ") if kw else 0
        chosen = [k for k, r in enumerate(runs) if r.index >= kw_tok]
    chosen = [k for k in chosen if len(runs[k].digits) <= 11]
    if not chosen:
        return res
    joined = "".join(runs[k].digits for k in chosen)
    if not (expecting or pending) and len(joined) < 3:
        return res
    for cand in (pending + joined, joined):
        if len(cand) >= 10:
            e164 = complete_number(cand)
            if e164:
                res.phone, res.runs = e164, set(chosen)
                return res
    if expecting and len(chosen) >= 2 and (repaired := _repaired(utt, pending, chosen)):
        res.phone, res.runs = repaired, set(chosen)
        return res
    cand = pending + joined
    if len(cand) < 10:
        res.digits, res.runs = cand, set(chosen)
    return res


_REPAIR = frozenset({"no", "sorry", "wait", "mean", "actually", "scratch"})


def _repaired(utt: Utterance, pending: str, chosen: list[int]) -> str | None:
    """Digits said again after a slip replace the end of what came before: "five one two five
    hundred fifty five wait no five five five zero one seven seven" → 512 555 0177."""
    last = utt.runs[chosen[-1]]
    between = utt.dig_tokens[utt.runs[chosen[-2]].index + 1 : last.index]
    if not _REPAIR & set(between):
        return None
    before = pending + "".join(utt.runs[k].digits for k in chosen[:-1])
    need = 10 - len(last.digits)
    if not 0 < need <= len(before):
        return None
    return complete_number(before[:need] + last.digits)


def speak_phone(e164: str) -> str:
    """Digit by digit in the groups people say them: "5 1 2, 5 5 5, 0 1 2 3"."""
    digits = "".join(c for c in e164 if c.isdigit())
    if e164.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) == 10:
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        head = len(digits) - 4
        groups = [digits[i : min(i + 3, head)] for i in range(0, head, 3)] + [digits[head:]]
    return ", ".join(" ".join(g) for g in groups if g)
