"""The rules agent: understanding + the shared policy, as a pure `step(state, event, ctx)`.

What a caller's words mean in each phase is decided here (which slots to take, whether a "no"
declines or corrects); what happens next is the policy's (`policy.py`), the same for the LLM agent.
Order of concerns on every caller turn: safety first, then a person when asked or when the caller
is frustrated, then questions, then the phase's own work. Slots arrive in any order and several at
a time; a valid slot is never asked for again unless corrected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from hvac_agent.dialogue import policy, scripts
from hvac_agent.dialogue.context import DialogueContext, nlu_context
from hvac_agent.dialogue.nlu import parse_keypad, understand
from hvac_agent.dialogue.nlu.privacy import wants_forgotten
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.state import (
    AppointmentsFound,
    BookingResult,
    CallerForgotten,
    CallerSaid,
    CallerUnclear,
    CallStarted,
    CallState,
    ChangeResult,
    DigitsPressed,
    Event,
    HangUp,
    HistoryLoaded,
    Reply,
    WindowsLoaded,
)

_TIME_WORDS = frozenset({"time", "window", "day", "date", "appointment", "morning", "afternoon", "when"})
# Which questions let an answer replace a slot already held ("what's the ZIP?" → "78752").
_EXPECT_SLOTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "phone": ("phone", "phone_confirm"),
    "address": ("address",),
    "zip": ("zip", "address"),
    "issue": ("issue",),
}


def step(state: CallState, event: Event, ctx: DialogueContext) -> tuple[CallState, Reply]:
    """Advance one call by one event. Pure: the input state is not modified."""
    s = state.model_copy(deep=True)
    reply = respond(s, event, ctx)
    policy.settle(s, reply, ctx)
    return s, reply


def respond(s: CallState, event: Event, ctx: DialogueContext) -> Reply:
    """The reply to one event, moving `s` in place (the turn's working copy)."""
    if isinstance(event, CallStarted):
        return policy.greet(s, event.caller_id, ctx)
    if isinstance(event, HangUp):
        s.ended = True
        return Reply(say="", action="hangup")
    if isinstance(
        event, WindowsLoaded | BookingResult | AppointmentsFound | ChangeResult | HistoryLoaded | CallerForgotten
    ):
        return policy.on_result(s, event, ctx)
    if s.ended:
        s.turn += 1
        return Reply(say=scripts.goodbye(ctx.profile), action="hangup")
    if isinstance(event, CallerSaid) and event.text.strip():
        text = event.text.strip()
        understood = understand(text, nlu_context(s, ctx))
        policy.heard(s, text, ctx, cut_in=event.cut_in)
        before = s.slots.model_copy()
        reply = on_understanding(s, understood, ctx)
        s.unsure_slots = []  # open to this one answer only
        return policy.read_back_unsure(s, before, policy.unsure_words(event.confidence, event.offline), reply)
    if isinstance(event, DigitsPressed):
        understood = parse_keypad(event.digits, nlu_context(s, ctx))
        policy.heard(s, f"(keypad) {event.digits}", ctx)
        return on_understanding(s, understood, ctx)
    if isinstance(event, CallerUnclear):  # speech heard, no words made out: a miss, never a silence
        policy.heard(s, "", ctx)
        return policy.miss(s, ctx)
    s.turn += 1  # silence, or words that came out empty
    return policy.silence(s, ctx)


def on_understanding(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if (first := policy.triage(s, u, ctx)) is not None:
        return first
    lead = scripts.answer(ctx.profile, u.question) if u.question else ""
    if lead and not u.answers:
        # A pure question: answer it and put the pending question again, without counting a miss;
        # at the opening, offer what the call is for (a visit) instead.
        if s.asked in (None, "intent"):
            return policy.ask(s, "intent", scripts.OFFER_BOOKING, lead)
        return policy.ask_again(s, lead)
    if wants_forgotten(u.text) and s.phase not in ("forget_confirm", "verifying"):
        return policy.start_forget(s, ctx)
    if u.intent in ("cancel", "reschedule") and s.phase == "collecting" and s.appointment_id is None:
        return policy.with_lead(policy.start_change(s, u.intent, u.phone), lead)
    handler = _PHASES.get(s.phase, _phase_done)
    return policy.with_lead(handler(s, u, ctx), lead)


# ---- slot filling -----------------------------------------------------------------------------


def _merge(s: CallState, u: Understanding) -> bool:
    """Take every valid slot the utterance carries. Returns True when anything changed."""
    sl = s.slots
    changed = False
    open_to = set(u.corrected) if u.correction else set()

    def accept(slot: str, current: object) -> bool:
        return (
            current is None
            or slot in open_to
            or slot in s.unsure_slots
            or u.correction
            or s.asked in _EXPECT_SLOTS.get(slot, ())
        )

    if u.name and u.name != sl.name and accept("name", sl.name):
        sl.name, changed = u.name, True
    if u.phone and u.phone != sl.phone and accept("phone", sl.phone):
        changed = policy.set_phone(s, u.phone) or changed
    elif u.use_caller_id and s.caller_id and s.asked in ("phone", "phone_confirm") and not sl.phone:
        changed = policy.set_phone(s, s.caller_id) or changed
    if not u.phone and u.phone_digits:
        s.pending_phone_digits = u.phone_digits
        changed = True
    # The name or street just read back as unsure, said again the same: confirmed, not a miss.
    if u.name and u.name == sl.name and "name" in s.unsure_slots:
        changed = True
    if u.street and u.street == sl.street and "address" in s.unsure_slots:
        changed = True
    if u.street and u.street != sl.street and accept("address", sl.street):
        sl.street, changed = u.street, True
        if u.unit is None and sl.unit and "address" in open_to:
            sl.unit = None
            s.unit_asked = False
    if u.house_number and sl.street and not u.street:
        number, _, rest = sl.street.partition(" ")
        if number.isdigit() and number != u.house_number:
            sl.street, changed = f"{u.house_number} {rest}", True
    if u.street_name and sl.street and not u.street:
        number, _, rest = sl.street.partition(" ")
        if number.isdigit() and rest != u.street_name:
            sl.street, changed = f"{number} {u.street_name}", True  # "it's Kerbey Lane, not Kirby"
    if u.unit:
        changed = policy.set_unit(s, u.unit) or changed
    if u.no_unit and s.asked == "unit":
        s.unit_asked, changed = True, True
    if u.zip and u.zip != sl.zip and accept("zip", sl.zip):
        sl.zip, changed = u.zip, True
    if u.issue and accept("issue", sl.issue) and (sl.issue is None or u.issue != sl.issue):
        sl.issue, changed = u.issue, True
        if u.issue_category:
            sl.issue_category = u.issue_category
    elif u.issue_category and sl.issue_category in (None, "other") and sl.issue:
        sl.issue_category = u.issue_category
    if u.urgency:
        changed = policy.raise_urgency(s, u.urgency) or changed
    return _merge_time_wish(s, u) or changed


def _merge_time_wish(s: CallState, u: Understanding) -> bool:
    """A visit time said while collecting is kept for when windows are offered."""
    w = u.window
    if w is None or s.phase != "collecting":
        return False
    changed = False
    if w.date or w.part_of_day or w.earliest:
        s.pref_date = w.date or s.pref_date
        s.pref_part = w.part_of_day or s.pref_part
        s.pref_earliest = s.pref_earliest or w.earliest
        changed = True
    if w.exclude_dates:
        s.declined_dates = sorted(set(s.declined_dates) | set(w.exclude_dates))
        changed = True
    return changed


def _answer_to_asked(s: CallState, u: Understanding) -> bool:
    """Yes/no answers to the agent's own yes/no questions in the collecting phase."""
    if s.asked == "returning" and (u.yes_no or u.street or u.name):
        policy.answer_returning(s, u.yes_no == "yes" and not (u.street or u.correction))
        return True
    if s.asked == "phone_confirm" and u.yes_no:
        if u.yes_no == "yes" and s.caller_id and not u.phone:
            s.slots.phone = s.caller_id
        elif u.yes_no == "no":
            s.caller_id_declined = True
        return True
    if s.asked == "unit" and u.yes_no == "no":
        s.unit_asked = True
        return True
    if s.asked == "urgency" and u.yes_no:
        if u.yes_no == "yes":
            s.slots.urgency = "urgent"
        elif s.slots.urgency is None:
            s.slots.urgency = "routine"
        return True
    return s.asked == "urgency" and u.urgency is not None


def _mentions_time(text: str) -> bool:
    return bool(set(text.lower().replace(",", " ").split()) & _TIME_WORDS)


# ---- phases -----------------------------------------------------------------------------------


def _phase_collecting(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    asked_before = s.asked
    offered_booking = asked_before == "intent" and s.last_question == scripts.OFFER_BOOKING
    if offered_booking and u.yes_no == "no" and not u.details:
        return policy.hang_up(s, ctx)
    changed = _merge(s, u)
    answered = _answer_to_asked(s, u) or (offered_booking and u.yes_no == "yes")
    if s.asked == "unit" and u.yes_no == "yes" and not u.unit:
        return policy.ask(s, "unit", scripts.UNIT_NUMBER)
    if (outside := policy.area_check(s, ctx)) is not None:
        return outside
    if s.asked == "anything_else" and _mentions_time(u.text):
        s.slots.date, s.slots.window = None, None
        changed = True
    if not (changed or answered) and (
        asked_before not in (None, "intent") or (asked_before == "intent" and not u.intent)
    ):
        return policy.miss(s, ctx)
    if s.pending_phone_digits and not s.slots.phone and s.asked in ("phone", "phone_confirm"):
        return policy.ask(s, "phone", scripts.REST_OF_NUMBER, scripts.number_so_far(s.pending_phone_digits))
    reply = policy.next_question(s, ctx)
    if u.correction and changed and reply.expect == asked_before:
        # "put it under my husband" said at the address question: the same question again, but
        # heard; without the nod it sounds like the correction was missed.
        reply = policy.with_lead(reply, scripts.GOT_IT)
    return reply


def _phase_choosing(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    w, offers = u.window, s.offered
    if (unsure := policy.unsure_window(s, u, ctx)) is not None:
        return unsure
    if w and w.offer_index is not None and 0 <= w.offer_index < len(offers):
        return policy.choose_window(s, offers[w.offer_index], ctx)
    if w and w.earliest and offers and not (w.date or w.part_of_day):
        return policy.choose_window(s, offers[0], ctx)
    if w and (w.date or w.part_of_day or w.exclude_dates):
        if w.exclude_dates:
            s.declined_dates = sorted(set(s.declined_dates) | set(w.exclude_dates))
        candidates = [
            o
            for o in offers
            if w.date in (None, o.date)
            and w.part_of_day in (None, policy.part_of(o.window))
            and o.date not in s.declined_dates
        ]
        if candidates and (w.date or w.part_of_day):
            return policy.choose_window(s, candidates[0], ctx)
        s.pref_date, s.pref_part = w.date, w.part_of_day
        return policy.load_windows(s, scripts.LOOKING_FOR_THAT)
    if u.yes_no == "yes" and len(offers) == 1:
        return policy.choose_window(s, offers[0], ctx)
    if u.yes_no == "no" and offers:
        s.pref_date = max(o.date for o in offers) + dt.timedelta(days=1)
        return policy.load_windows(s, scripts.LOOKING_FURTHER_OUT)
    if _merge(s, u):
        return policy.area_check(s, ctx) or policy.offer(s, ctx, scripts.GOT_IT)
    return policy.miss(s, ctx)


def _phase_confirming(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.correction or (u.yes_no != "yes" and u.corrects_read_back):
        # Anything said against the read-back replaces what we had: it is a correction.
        _merge(s, u.model_copy(update={"correction": True}))
        if (outside := policy.area_check(s, ctx)) is not None:
            return outside
        if _mentions_time(u.text) and not u.window:
            s.slots.date, s.slots.window = None, None
        return policy.next_question(s, ctx, scripts.THANKS_FOR_CORRECTION)
    return _yes_or_no(s, u, ctx)


def _yes_or_no(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    """The answer to a confirmation question: a yes acts on it, a no keeps things as they are."""
    if u.yes_no == "yes":
        return policy.agree(s, ctx) or policy.miss(s, ctx)
    if u.yes_no == "no":
        return policy.decline(s, ctx)
    return policy.miss(s, ctx)


def _phase_reschedule_confirm(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.window and u.yes_no != "yes":
        s.phase = "reschedule_choose"
        return _phase_choosing(s, u, ctx)
    return _yes_or_no(s, u, ctx)


def _phase_out_of_area(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.zip and ctx.profile.serves_zip(u.zip):
        s.slots.zip = u.zip
        s.outcome = "in_progress"
        return policy.next_question(s, ctx, scripts.ZIP_IN_AREA)
    if u.yes_no == "yes" or "message" in u.text.lower():
        s.phase = "taking_message"
        return policy.ask(s, "message", scripts.QUESTIONS["message"])
    if u.yes_no == "no":
        return policy.hang_up(s, ctx, scripts.SORRY_NO_HELP)
    return policy.miss(s, ctx)


def _phase_message(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    s.message = u.text
    if s.outcome == "in_progress":
        s.outcome = "message"
    return policy.hang_up(s, ctx, scripts.MESSAGE_TAKEN)


def _phase_offer_transfer(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.yes_no == "yes":
        return policy.transfer(s, ctx, "requested")
    if u.yes_no == "no":
        return policy.hang_up(s, ctx)
    return policy.miss(s, ctx)


def _phase_offer_oncall(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    """After hours, booked and urgent: yes → the on-call line; no → goodbye (the visit stands)."""
    if u.yes_no == "yes":
        return policy.oncall(s, ctx)
    if u.yes_no == "no":
        return policy.hang_up(s, ctx)
    return policy.miss(s, ctx)


def _phase_lookup(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.phone:
        return policy.look_up(s, u.phone)
    if u.phone_digits:
        s.pending_phone_digits = u.phone_digits
        return policy.ask(s, "phone", scripts.REST_OF_NUMBER)
    return policy.miss(s, ctx)


def _phase_verifying(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    return policy.verify(s, second_factor(u), ctx)


def second_factor(u: Understanding) -> policy.SecondFactor:
    """The name, or the house number and ZIP, in a caller's answer to the verification question."""
    house = re.match(r"(\d+)", u.street) if u.street else None
    runs = re.findall(r"\d+", u.text)
    zip_code = u.zip
    if house is None and len(runs) >= 2 and len(runs[-1]) == 5:  # "4410, 78751"
        return policy.SecondFactor(name=u.name, house_number=runs[0], zip=zip_code or runs[-1])
    return policy.SecondFactor(name=u.name, house_number=house.group(1) if house else None, zip=zip_code)


def _phase_done(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    return policy.hang_up(s, ctx)


_PHASES: dict[str, Callable[[CallState, Understanding, DialogueContext], Reply]] = {
    "collecting": _phase_collecting,
    "choosing_window": _phase_choosing,
    "reschedule_choose": _phase_choosing,
    "confirming": _phase_confirming,
    "out_of_area": _phase_out_of_area,
    "taking_message": _phase_message,
    "offer_transfer": _phase_offer_transfer,
    "offer_oncall": _phase_offer_oncall,
    "cancel_lookup": _phase_lookup,
    "verifying": _phase_verifying,
    "cancel_confirm": _yes_or_no,
    "forget_confirm": _yes_or_no,
    "reschedule_confirm": _phase_reschedule_confirm,
}
