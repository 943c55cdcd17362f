"""The one entry point: an utterance (or keypad digits) and its context → `Understanding`.

Every extractor runs on every utterance (callers give several slots at once); `ctx.expect` only
settles what is ambiguous: bare digits (a ZIP when asked for a ZIP, a phone when asked for a
phone), a bare name, free text as the issue, "no" to the unit question.

What the fields promise the dialogue core:
- `phone` is complete, valid and E.164; `phone_digits` is an incomplete number to keep in
  `pending_phone_digits` for the next turn (used only while `expect` is phone/phone_confirm).
- `correction` with `corrected` slots: replace those slots with the values given (if any). At the
  read-back (`expect == "confirm"`) any value given without a plain "yes" counts as a correction.
  With `ctx.current_phone` set, "no, it's 0132" yields the corrected whole number in `phone`.
- `window.offer_index` indexes `ctx.offered` when the words pick one; otherwise `date`,
  `part_of_day`, `earliest`, `exclude_dates` describe the wish (`closed_day` when `date` is a
  day the business does not work).
- `urgency` is set only on a signal ("emergency" with `emergency`, "urgent" with reasons, "routine"
  when the caller says it can wait).
- `frustration` ≥ 0.7 (frustration.TRANSFER_AT) means: hand over to a person.
Keypad: digits are a phone/ZIP/unit when asked for one; otherwise 1 = yes (or the first window),
2 = no (or the second), 0 = a person.
"""

from __future__ import annotations

import re

from hvac_agent.dialogue.nlu import semantic
from hvac_agent.dialogue.nlu.address import STREET_TYPES, extract_address, street_name_only
from hvac_agent.dialogue.nlu.corrections import extract_correction
from hvac_agent.dialogue.nlu.dates import extract_window
from hvac_agent.dialogue.nlu.emergency import extract_emergency
from hvac_agent.dialogue.nlu.frustration import frustration_score
from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.intents import advice, extract_intent
from hvac_agent.dialogue.nlu.issues import extract_issue
from hvac_agent.dialogue.nlu.named_slot import named_correction
from hvac_agent.dialogue.nlu.names import extract_name
from hvac_agent.dialogue.nlu.opening import OPENING_EXPECTS, opening
from hvac_agent.dialogue.nlu.phone import complete_number, extract_phone, splice_part, splice_tail
from hvac_agent.dialogue.nlu.text import Utterance
from hvac_agent.dialogue.nlu.types import NluContext, SlotName, Understanding, WindowChoice
from hvac_agent.dialogue.nlu.yesno import extract_yes_no

# Expectations under which a date phrase is a scheduling wish ("it started this morning" is not).
# Where a date is about the visit; elsewhere it needs a scheduling word ("it's been out since
# monday" describes the problem, "can you come monday" asks for a visit).
_WINDOW_EXPECTS = frozenset({"window", "confirm", "anything_else"})
_SCHEDULING_CUE = Gated(
    re.compile(
        r"\b(?:come|coming|available|availability|appointment|schedule|book|send|visit|out here|"
        r"stop by|make it|works for me|work for me|free|open|can you|could you|how about|what about|"
        r"prefer|would be (?:best|better|good|great|ideal)|is (?:good|best|better)|earliest|soonest|asap|"
        r"as soon as|first available|get here|get out here|be here|be home|i'?m home|i'?ll be home)\b"
    ),
    (
        "appointment",
        "asap",
        "availab",
        "be here",
        "be home",
        "book",
        "can you",
        "come",
        "coming",
        "could you",
        "earliest",
        "free",
        "get here",
        "how about",
        "i'm home",
        "im home",
        "is best",
        "is better",
        "is good",
        "make it",
        "open",
        "out here",
        "prefer",
        "schedule",
        "send",
        "soon",
        "stop by",
        "visit",
        "what about",
        "work for me",
        "works for me",
        "would",
    ),
)
# A recogniser stuck in a loop can return pages; a caller's turn is a few hundred characters, and
# understanding costs a few µs per character, so the tail is not worth holding up the event loop.
MAX_CHARS = 1000
# Questions no one answers with yes or no.
_OPEN_QUESTIONS = frozenset({None, "intent", "issue", "name", "address", "zip", "phone", "message"})
_TAKEN_BACK = frozenset({"not", "said", "from", "of"})
_HEDGE_ONLY = re.compile(r"^(?:i )?(?:guess|suppose|think)(?: so)?$")
_BARE_NO = re.compile(r"^(?:no|nope|nah|none|no sir|no ma'?am|not really|nope none)$")


def understand(text: str, ctx: NluContext) -> Understanding:
    """Everything one caller utterance says, in the light of what was just asked."""
    utt = Utterance.of(text[:MAX_CHARS])
    if not utt.tokens:
        return Understanding(text=text)
    emergency = extract_emergency(utt)
    yes_no, yes_but = extract_yes_no(utt.norm, asked=ctx.expect not in _OPEN_QUESTIONS)
    if yes_no == "yes" and _HEDGE_ONLY.match(utt.norm) and utt.raw.rstrip().endswith("?"):
        yes_no = None  # "I guess?": a hedge asked back is not a yes

    ph = extract_phone(utt, ctx)
    phone, phone_digits = ph.phone, ph.digits
    expecting_phone = ctx.expect in ("phone", "phone_confirm")
    ad = extract_address(utt, ctx, ph.runs if (ph.phone or expecting_phone) else set())
    if phone_digits and not expecting_phone and ph.runs & ad.runs:
        phone_digits = None  # "my house number is 4410": the address's digits, not a phone's
    if expecting_phone and phone is None and ad.street is None and ph.runs:
        whole = extract_address(utt, ctx, set())
        if whole.street is not None and whole.street.split()[-1] in STREET_TYPES.values():
            ad, phone_digits = whole, None  # "it's duval road, 4410 duval road" asked for a phone
    street_name = street_name_only(utt) if ad.street is None else None
    zip_code = ad.zip or (ph.rest if len(ph.rest) == 5 else None)
    no_unit = ad.no_unit or (
        ctx.expect in ("address", "unit")
        and ad.street is None
        and ad.unit is None
        and (bool(_BARE_NO.match(utt.norm)) or ctx.expect == "unit" and yes_no == "no")
    )
    name = extract_name(utt, ctx)
    iss = extract_issue(utt, ctx, emergency)
    intent, question = extract_intent(utt, ctx)
    if ctx.expect in OPENING_EXPECTS:
        emergency, intent, question = opening(utt, ctx, iss, emergency, intent, question)
    if (
        intent == "question"
        and ctx.expect in OPENING_EXPECTS
        and (
            iss.category in ("maintenance", "smell", "noise")
            or question == "other"
            and emergency is None
            and (iss.category in (None, "other") or advice(utt.norm))
        )
    ):
        iss.issue, iss.category = None, None  # "how much for a tune up", "is that smell normal": asked, not booked
    if iss.category == "other" and intent in ("human", "question", "cancel", "reschedule", "goodbye"):
        iss.issue, iss.category = None, None  # "can I talk to a person" is a request, not the problem
    if intent is None and iss.category not in (None, "other") and ctx.expect in (None, "intent"):
        intent = "book"  # "my furnace is out" as an opening line is a request for a visit
    window = None
    if ctx.expect in _WINDOW_EXPECTS or ctx.offered or _SCHEDULING_CUE.search(utt.norm):
        window = extract_window(utt, ctx)

    present: list[tuple[SlotName, object]] = [
        ("name", name),
        ("phone", phone or phone_digits),
        ("address", ad.street or street_name),
        ("zip", zip_code),
        ("unit", ad.unit),
        ("window", window),
        # An issue said at the read-back or when asked for it replaces the one we had.
        ("issue", iss.category if ctx.expect in ("confirm", "issue") and iss.category != "other" else None),
    ]
    cor = extract_correction(utt, ctx, [slot for slot, value in present if value], yes_but, agreed=yes_no == "yes")
    if not (cor.correction and "address" in cor.corrected):
        street_name = None  # a street without its number is kept only to correct the one we have
    if yes_but:
        yes_no = None
    house_number = None
    named = None
    if (part := _phone_part(utt, ctx)) is not None:
        phone, phone_digits, house_number = part, None, None  # "the area code is 737 not 512"
        cor.correction, cor.corrected = True, ["phone"]
        if ad.unit and (unit_digits := re.sub(r"\D", "", ad.unit)) and unit_digits in part:
            ad.unit = None  # "the last four should be 4567" at the unit question: not unit 4567
    elif ad.street is None:
        named = named_correction(utt, zip_heard=zip_code is not None, asked_address=ctx.expect in ("address", "unit"))
    if named is not None:
        # The slot the words name wins over the one the question expected (issue 10 item 5).
        cor.correction, cor.corrected = True, [named.slot]  # type: ignore[list-item]
        if named.slot == "zip":
            zip_code = named.value
        else:
            house_number = named.value
        if ad.unit and named.value in ad.unit:
            ad.unit = None
        if phone and named.value in phone or phone_digits and named.value in phone_digits:
            phone, phone_digits = None, None
    if (said_zip := _ZIP_SAID.search(utt.dig)) and ctx.expect not in ("zip", "address"):
        # "oh and the zip is 78756" at any other question: the ZIP, not a unit or a phone.
        zip_code = said_zip.group(1) or said_zip.group(2)
        if ad.unit and zip_code in ad.unit:
            ad.unit = None
        if phone_digits and zip_code in phone_digits:
            phone_digits = None
        if ctx.expect != "confirm" or cor.correction:  # at the read-back a "yes" with it agrees
            cor.correction = True
            cor.corrected = ["zip", *(slot for slot in cor.corrected if slot not in ("zip", "unit"))]
    if ctx.expect == "unit" and no_unit and house_number is None and ad.street is None and ad.unit is None:
        numbers = [d for d in _kept_runs(utt) if 3 <= len(d) <= 4]
        if len(numbers) == 1:  # "no unit, but it's 4411": the house number corrected
            house_number = numbers[0]
            cor.correction, cor.corrected = True, ["address"]
    kept = _kept_runs(utt) if cor.correction else []
    short = [d for d in kept if 1 <= len(d) <= 5]
    if (
        named is None
        and house_number is None
        and cor.corrected[:1] == ["address"]
        and ad.street is None
        and street_name is None
        and len(short) == 1
        and len(short[0]) <= 4
    ):
        house_number = short[0]  # "everything's right except it's forty four fourteen" at the read-back
    fives = [d for d in kept if len(d) == 5]
    if zip_code and not (named and named.slot == "zip") and len(fives) == 1 and fives[0] != zip_code:
        zip_code = fives[0]  # "I gave you 78751 earlier but it's 78752": the one said last is meant
    if cor.correction and "phone" in cor.corrected and phone == ctx.current_phone and _new_after_held(utt, phone):
        phone = None  # the number we hold said again before the part that changes
    if cor.correction and "phone" in cor.corrected and phone is None and ctx.current_phone:
        # "should end in 0124 not 0123": the digits taken back are not the new tail.
        # The number we hold, read back by the caller ("you have 512 555 0123? it should be 0213"), is not the new one.
        kept = [d for d in _kept_runs(utt) if not (len(d) >= 10 and ctx.current_phone.endswith(d[-10:]))]
        if len(utt.runs) > 1 and kept:
            tail = max(kept, key=len)
        else:
            tail = phone_digits or max((r.digits for r in utt.runs), key=len, default="")
        spliced = splice_tail(ctx.current_phone, tail)  # "no, it's 0132"
        if spliced:
            phone, phone_digits = spliced, None
    return Understanding(
        text=text,
        yes_no=yes_no,
        intent=intent,
        question=question,
        emergency=emergency,
        name=name,
        phone=phone,
        phone_digits=phone_digits,
        use_caller_id=ph.use_caller_id and phone is None and not phone_digits,
        street=ad.street,
        unit=ad.unit,
        house_number=house_number,
        street_name=street_name,
        no_unit=no_unit,
        zip=zip_code,
        issue=iss.issue,
        issue_category=iss.category,
        urgency=iss.urgency,
        urgency_reasons=iss.reasons,
        window=window,
        correction=cor.correction,
        corrected=cor.corrected,
        frustration=frustration_score(utt, ctx),
    )


def parse_keypad(digits: str, ctx: NluContext) -> Understanding:
    """Keypad `Digits`: a phone number or ZIP when we asked for one; 1 = yes / first, 2 = no."""
    clean = "".join(c for c in digits if c in "0123456789")  # not str.isdigit: "²" is a digit to it
    u = Understanding(text=digits)
    if not clean:
        return u
    expect = ctx.expect
    if expect == "zip":
        if len(clean) in (5, 9):
            u.zip = clean[:5]
        return u
    if expect in ("phone", "phone_confirm") and len(clean) > 1:
        cand = ctx.pending_phone_digits + clean
        for option in (clean, cand):
            e164 = complete_number(option) if len(option) >= 10 else None
            if e164:
                u.phone = e164
                return u
        if len(cand) < 10:
            u.phone_digits = cand
        return u
    if expect == "unit" and len(clean) <= 5:
        u.unit = f"Unit {clean}"
        return u
    if expect == "address" and len(clean) == 5:
        u.zip = clean
        return u
    if expect == "window" and len(clean) == 1 and ctx.offered:
        idx = int(clean) - 1
        if 0 <= idx < len(ctx.offered):
            u.window = WindowChoice(offer_index=idx)
        return u
    if clean == "0":
        u.intent = "human"
        return u
    if clean == "1":
        u.yes_no = "yes"
    elif clean == "2":
        u.yes_no = "no"
    return u


def warm_up() -> None:
    """Load the slow fallbacks (dateparser ~0.2 s, usaddress) now, not during a live call.

    Call once at startup: the first dateparser call otherwise stalls the event loop.
    """
    import datetime as dt

    from hvac_agent.dialogue.nlu.address import usaddress_street
    from hvac_agent.dialogue.nlu.dates import parse_with_dateparser

    parse_with_dateparser("in a fortnight", dt.datetime(2026, 1, 1, 9, 0), "America/Chicago")
    usaddress_street("4410 duval street")
    if semantic.active() is None and not semantic.status().startswith("loading"):
        # The sentence encoder for the rules path, loaded in the background (absent weights:
        # rules only, said at start-up and in /health).
        semantic.load_in_background()


# A ZIP named with its digits: "the zip is 78756", "zip code's 78756", "78756 for the zip".
_ZIP_SAID = Gated(
    re.compile(
        r"\bzip(?: code)?(?:'s| is| was| should be| would be| it'?s)? (\d{5})\b|\b(\d{5}) (?:for|is|as) (?:the|my) zip"
        r"\b"
    ),
    ("zip",),
)
_PHONE_PART = re.compile(
    r"\b(?P<area>area code)\b|\b(?P<middle>middle (?:part|three|digits|bit|numbers))\b"
    r"|\b(?P<tail>ends? (?:in|with)|last (?:four|two|digits|part|numbers)|(?:at|on) the end$)"
)


def _phone_part(utt: Utterance, ctx: NluContext) -> str | None:
    """One group of the number we have, corrected: digits taken back ("not 512") that are found in
    it, or a group named ("area code", "middle part", "ends in"), replaced by the digits given."""
    if not ctx.current_phone or not utt.runs:
        return None
    taken = [r.digits for r in utt.runs if _word_before(utt, r.index) == "not"]
    kept = _kept_runs(utt)
    m = _PHONE_PART.search(utt.norm)
    where = m.lastgroup if m else None
    # "the middle three are …": not the word "three"; two digits only for two taken back
    # ("ends in three two not two three").
    groups = [d for d in kept if 3 <= len(d) <= 4 or len(d) == 2 and any(len(t) == 2 for t in taken)]
    if not groups or not (taken or where) or any(len(r.digits) >= 7 for r in utt.runs):
        return None  # a whole number given is taken whole
    return splice_part(ctx.current_phone, groups[0], taken[0] if taken else None, where)


def _new_after_held(utt: Utterance, held: str | None) -> bool:
    """Digits kept after the held number was read back: "you have 512 555 0123? it should be 0213"."""
    if not held:
        return False
    at = next((r.index for r in utt.runs if len(r.digits) >= 10 and held.endswith(r.digits[-10:])), None)
    if at is None:
        return False
    kept = _kept_runs(utt)
    return any(r.index > at and r.digits in kept for r in utt.runs)


def _word_before(utt: Utterance, index: int) -> str | None:
    """The word just before the digit run at token `index` (None at the start)."""
    return utt.dig_tokens[index - 1] if index > 0 else None


def _kept_runs(utt: Utterance) -> list[str]:
    """Digit runs the caller gives, leaving out the ones taken back ("not 512", "I said 4410")."""
    runs = [r for r in utt.runs if _word_before(utt, r.index) not in _TAKEN_BACK]
    # "it's 0123 no 0213": of two runs the same length, the later one is what the caller means.
    return [r.digits for k, r in enumerate(runs) if not any(len(o.digits) == len(r.digits) for o in runs[k + 1 :])]
