"""The dialogue policy both agents share: what happens next, whoever understood the caller.

The rules agent turns an `Understanding` into calls here; the LLM agent turns validated tool
arguments into the same calls. Each function moves the turn's working `CallState` (mutated in
place: an agent copies the state once per turn) and returns the `Reply` to give. When the world is
needed the reply carries an effect; the agent carries it out and hands the result to `on_result`.
The words come from `scripts`.

A new rule (after hours, verifying a caller before a booking is revealed, holding offers) belongs
in one function here, and both agents follow it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Literal

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.state import (
    URGENCY_RANK,
    AppointmentRef,
    AppointmentsFound,
    Book,
    BookingResult,
    CallerForgotten,
    CallState,
    CancelAppointment,
    ChangeResult,
    ConfirmKind,
    EmergencyKind,
    Expect,
    FindAppointments,
    ForgetCaller,
    HistoryLoaded,
    HoldWindow,
    LoadHistory,
    LoadWindows,
    PartOfDay,
    PastVisit,
    Phase,
    Reply,
    RescheduleAppointment,
    Result,
    Slots,
    TransferReason,
    Urgency,
    WindowHeld,
    WindowOffer,
    WindowsLoaded,
)

MAX_SILENCES = 3
FRUSTRATION_TRANSFER = 0.7
LONG_CALL_TURNS = 30  # past this, frustration is assumed to rise turn by turn
FRUSTRATION_DECAY = 0.85  # per caller turn
MISSES_FOR_EXAMPLE = 2  # contract rule 8: the second miss on one question changes the route
MISSES_FOR_PERSON = 3
CONFIRM_PHASES: frozenset[Phase] = frozenset({"confirming", "cancel_confirm", "reschedule_confirm", "forget_confirm"})
VERIFY_TRIES = 2  # second-factor answers that don't match before a person is offered
PAST_VISITS = 3  # a returning caller's bookings kept in the call state
CHOOSING_PHASES: frozenset[Phase] = frozenset({"choosing_window", "reschedule_choose"})


# ---- replies ----------------------------------------------------------------------------------


def join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


# A recogniser's confidence below this (Twilio's Confidence, a cloud engine's word confidence):
# a name or address taken from those words is read back at once, not first at the final read-back.
UNSURE_CONFIDENCE = 0.6


def unsure_words(confidence: float | None, offline: bool) -> bool:
    """Words a name or address should not be trusted from without a read-back."""
    return offline or (confidence is not None and confidence < UNSURE_CONFIDENCE)


def read_back_unsure(s: CallState, before: Slots, unsure: bool, reply: Reply) -> Reply:
    """Issue 10 item 7: a name or street heard from unsure words (low confidence, or the on-device
    recogniser) is read back with the next question, so a misheard one is fixed while the caller
    still remembers saying it. Their next answer may replace it (said again or spelled)."""
    if not unsure or reply.action != "listen" or reply.expect == "confirm":
        return reply  # (a confirmation question comes with the whole read-back anyway)
    leads = []
    if s.slots.name and s.slots.name != before.name:
        leads.append(scripts.heard_name_as(s.slots.name))
        s.unsure_slots.append("name")
    if s.slots.street and s.slots.street != before.street:
        leads.append(scripts.heard_address_as(s.slots.street))
        s.unsure_slots.append("address")
    return with_lead(reply, join(*leads))


def with_lead(reply: Reply, lead: str) -> Reply:
    return reply.model_copy(update={"say": join(lead, reply.say)}) if lead else reply


def ask(s: CallState, expect: Expect, question: str, lead: str = "", *, keypad: bool = False) -> Reply:
    s.last_question = question
    return Reply(say=join(lead, question), action="listen", expect=expect, keypad=keypad)


def ask_again(s: CallState, lead: str = "", *, keypad: bool = False) -> Reply:
    """Put the pending question again (after a lead: an answer, an apology, a reprompt)."""
    return ask(s, s.asked or "intent", s.last_question or scripts.QUESTIONS["intent"], lead, keypad=keypad)


def confirm(s: CallState, kind: ConfirmKind, question: str, lead: str = "") -> Reply:
    """Ask the question a yes agrees to; only the caller's next yes may act on it."""
    s.awaiting_yes = kind
    return ask(s, "confirm", question, lead)


def settle(s: CallState, reply: Reply, ctx: DialogueContext) -> None:
    """The end of a turn: remember what was said, what is awaited next, whether the call ended."""
    if reply.say:
        s.remember("agent", reply.say, ctx.now)
    if reply.action in ("transfer", "hangup"):
        s.ended, s.asked, s.awaiting_yes = True, None, None
    elif reply.effect is None:
        s.asked = reply.expect
        if reply.expect != "confirm":
            s.awaiting_yes = None


# ---- the call's edges -------------------------------------------------------------------------


def greet(s: CallState, caller_id: str | None, ctx: DialogueContext) -> Reply:
    """The greeting; with a caller ID, first look at that number's past bookings (returning callers)."""
    if caller_id and not s.caller_id:
        s.caller_id = caller_id
    if s.caller_id:
        return Reply(effect=LoadHistory(phone=s.caller_id))
    return _greeting(s, ctx, returning=False)


def _greeting(s: CallState, ctx: DialogueContext, *, returning: bool) -> Reply:
    reply = ask(s, "intent", scripts.greeting(ctx.profile, returning=returning), closed_notice(ctx))
    s.last_question = scripts.QUESTIONS["intent_again"]  # a re-ask never replays the greeting
    return reply


def closed_notice(ctx: DialogueContext) -> str:
    """What an after-hours (or holiday) caller hears first; nothing during office hours."""
    if ctx.profile.office_open(ctx.now):
        return ""
    holiday = ctx.profile.holiday_on(ctx.local_now.date())
    if holiday is not None:
        return scripts.closed_day(ctx.profile, holiday.name)
    return scripts.after_hours(ctx.profile)


def on_history(s: CallState, loaded: HistoryLoaded, ctx: DialogueContext) -> Reply:
    """Past bookings are only ever loaded for the caller ID, the number the call comes from: the
    caller holds that number, so they may hear its details (contract rule 7)."""
    s.past = [v for v in loaded.visits if _usable(v)][:PAST_VISITS]
    return _greeting(s, ctx, returning=bool(s.past))


def _usable(visit: PastVisit) -> bool:
    return bool(re.match(r"\d", visit.address)) and bool(re.fullmatch(r"\d{5}", visit.zip))


def answer_returning(s: CallState, yes: bool) -> None:
    """The caller's answer to "Is this for … again?": a yes takes the earlier name, address and
    (the caller ID being the booked number) callback number, each only where none was given."""
    s.returning_answered = True
    if not yes or not s.past:
        return
    last, sl = s.past[0], s.slots
    sl.name = sl.name or last.customer_name
    if not sl.phone and s.caller_id and not s.caller_id_declined:
        sl.phone = s.caller_id
    if not sl.street:
        sl.street, sl.zip = last.address, last.zip
        sl.unit = last.unit
        s.unit_asked = True
    sl.zip = sl.zip or last.zip


def heard(s: CallState, words: str, ctx: DialogueContext, *, cut_in: bool = False) -> None:
    """A caller turn with words (or keys) in it: count it and remember it. `cut_in`: it began over
    the agent's reply, so the caller may not have heard all of it (see `agree`)."""
    s.read_back_cut = cut_in and s.awaiting_yes == "book"
    s.turn += 1
    s.silences = 0
    s.remember("caller", words, ctx.now)


def silence(s: CallState, ctx: DialogueContext) -> Reply:
    s.silences += 1
    if s.silences >= MAX_SILENCES:
        return hang_up(s, ctx, scripts.CANT_HEAR)
    return ask_again(s, scripts.HEARD_NOTHING if s.silences == 1 else scripts.STILL_THERE)


def transfer(s: CallState, ctx: DialogueContext, reason: TransferReason) -> Reply:
    if s.outcome in ("in_progress", "out_of_area"):
        s.outcome = "transferred"
    s.phase = "done"
    return Reply(
        say=scripts.transfer(reason), action="transfer", transfer_to=ctx.profile.transfer_number, transfer_reason=reason
    )


def hang_up(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    s.phase = "done"
    return Reply(say=join(lead, scripts.goodbye(ctx.profile)), action="hangup")


def emergency(s: CallState, kind: EmergencyKind, ctx: DialogueContext) -> Reply:
    """Contract rule 4: the safety script, then the on-call line; never booked as routine."""
    s.emergency, s.phase, s.outcome = kind, "emergency", "emergency"
    s.slots.urgency = "emergency"
    return Reply(
        say=scripts.emergency(ctx.profile, kind),
        action="transfer",
        transfer_to=ctx.profile.oncall_numbers[0],
        transfer_reason="emergency",
    )


def oncall(s: CallState, ctx: DialogueContext) -> Reply:
    """After hours, an urgent caller takes up the offer of the on-call line (a chain of numbers
    the telephony edge dials in turn)."""
    s.phase = "done"
    return Reply(
        say=scripts.transfer("oncall"),
        action="transfer",
        transfer_to=ctx.profile.oncall_numbers[0],
        transfer_reason="oncall",
    )


def offer_office(s: CallState, lead: str) -> Reply:
    s.phase = "offer_transfer"
    return ask(s, "yes_no", scripts.OFFER_OFFICE, lead)


def area_check(s: CallState, ctx: DialogueContext) -> Reply | None:
    """Contract rule 6: a ZIP outside the service area ends collecting; a message is offered."""
    zip_code = s.slots.zip
    if zip_code is None or ctx.profile.serves_zip(zip_code):
        return None
    s.phase, s.outcome = "out_of_area", "out_of_area"
    s.last_question = scripts.LEAVE_MESSAGE
    return Reply(say=scripts.out_of_area(ctx.profile, zip_code), action="listen", expect="yes_no")


def triage(s: CallState, u: Understanding, ctx: DialogueContext, *, asks_for_person: bool = False) -> Reply | None:
    """What a caller's words set off before anything else, in this order: an emergency, a request
    for a person (or `asks_for_person`, another classifier's verdict), rising frustration, goodbye."""
    if u.emergency and s.phase != "emergency":
        return emergency(s, u.emergency, ctx)
    s.frustration = max(s.frustration * FRUSTRATION_DECAY, u.frustration)
    if s.turn > LONG_CALL_TURNS:
        s.frustration = max(s.frustration, 0.5 + 0.05 * (s.turn - LONG_CALL_TURNS))
    if u.intent == "human":
        return transfer(s, ctx, "requested")
    if s.frustration >= FRUSTRATION_TRANSFER:
        return transfer(s, ctx, "frustration")
    if asks_for_person:
        return transfer(s, ctx, "requested")
    if u.intent == "goodbye" and s.phase not in CONFIRM_PHASES:
        return hang_up(s, ctx)
    return None


# ---- misunderstanding (contract rule 8) -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Miss:
    count: int  # misses on the question now pending, this one included
    example: str  # what to say from the second miss on
    keypad: bool  # invite keypad entry (numbers, ZIP) from the second miss on

    @property
    def to_person(self) -> bool:
        return self.count >= MISSES_FOR_PERSON


def note_miss(s: CallState) -> Miss:
    key = s.asked or "intent"
    count = s.misunderstood.get(key, 0) + 1
    s.misunderstood[key] = count
    changed_route = count >= MISSES_FOR_EXAMPLE
    return Miss(
        count=count,
        example=scripts.EXAMPLES.get(key, "") if changed_route else "",
        keypad=changed_route and key in scripts.KEYPAD_EXPECTS,
    )


def clear_misses(s: CallState) -> None:
    s.misunderstood.pop(s.asked or "intent", None)


def miss(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Not understood: ask again; the second time with an example (and the keypad); then a person."""
    m = note_miss(s)
    if m.to_person:
        return transfer(s, ctx, "fallback")
    if m.count >= MISSES_FOR_EXAMPLE:
        return ask_again(s, join(lead, scripts.STILL_NOT_GETTING, m.example), keypad=m.keypad)
    return ask_again(s, join(lead, scripts.DIDNT_CATCH, scripts.EXAMPLES.get(s.asked or "intent", "")))


# ---- collecting -------------------------------------------------------------------------------


def missing_slots(s: CallState) -> list[str]:
    """What a booking still needs, in the order it is asked for."""
    sl = s.slots
    have = {
        "issue": sl.issue,
        "name": sl.name,
        "phone": sl.phone,
        "address": sl.street,
        "zip": sl.zip,
        "unit": sl.unit or s.unit_asked,  # asked once; "no unit" is an answer
        "urgency": sl.urgency,
    }
    return [slot for slot, value in have.items() if not value]


def next_slot(s: CallState) -> Expect | None:
    """The question to ask next while collecting; None when every detail is in."""
    missing = missing_slots(s)
    if not missing:
        return None
    first = missing[0]
    if s.past and not s.returning_answered and not s.slots.street and first in ("name", "phone", "address", "zip"):
        return "returning"
    if first == "phone" and s.caller_id and not s.caller_id_declined and not s.pending_phone_digits:
        return "phone_confirm"
    expect: Expect = first  # type: ignore[assignment]  # every slot name is also an Expect
    return expect


def next_expect(s: CallState) -> Expect:
    """What the agent is waiting to hear next, from the phase and the slots."""
    if s.phase in CONFIRM_PHASES:
        return "confirm"
    if s.phase in CHOOSING_PHASES:
        return "window"
    by_phase: dict[str, Expect] = {
        "out_of_area": "yes_no",
        "offer_transfer": "yes_no",
        "offer_oncall": "yes_no",
        "taking_message": "message",
        "cancel_lookup": "phone",
        "verifying": "name",
    }
    return by_phase.get(s.phase) or next_slot(s) or "window"


def next_question(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Ask for the first missing detail, or move on to the windows or the read-back."""
    s.phase = "collecting"
    expect = next_slot(s)
    if expect == "phone_confirm" and s.caller_id:
        return ask(s, expect, scripts.caller_id_question(s.caller_id), lead)
    if expect == "returning" and s.past:
        return ask(s, expect, scripts.returning_question(s.past[0].address), lead)
    if expect == "unit":
        s.unit_asked = True
    if expect is not None:
        return ask(s, expect, scripts.QUESTIONS[expect], lead)
    s.job_type = ctx.profile.job_for(s.slots.issue_category, s.slots.issue).name
    if s.slots.date and s.slots.window:
        return hold_and_read_back(s, ctx, lead)
    return load_windows(s, lead or scripts.CHECKING_SCHEDULE)


def set_phone(s: CallState, e164: str) -> bool:
    """A complete callback number replaces any digits heard so far."""
    s.pending_phone_digits = ""
    if e164 == s.slots.phone:
        return False
    s.slots.phone = e164
    return True


def set_unit(s: CallState, unit: str) -> bool:
    s.unit_asked = True
    if unit == s.slots.unit:
        return False
    s.slots.unit = unit
    return True


def raise_urgency(s: CallState, urgency: Urgency) -> bool:
    """Urgency only ever rises during a call."""
    current = s.slots.urgency
    if current is not None and URGENCY_RANK[urgency] <= URGENCY_RANK[current]:
        return False
    s.slots.urgency = urgency
    return True


# ---- windows ----------------------------------------------------------------------------------


def is_urgent(s: CallState) -> bool:
    return s.slots.urgency in ("urgent", "emergency")


def load_windows(
    s: CallState,
    lead: str = "",
    *,
    not_before: dt.date | None = None,
    part_of_day: PartOfDay | None = None,
    lost: WindowOffer | None = None,
) -> Reply:
    """Look for open windows. The urgent-window rule: an urgent visit looks from the earliest
    window at any time of day, whatever was asked for."""
    urgent = is_urgent(s)
    return Reply(
        say=lead,
        effect=LoadWindows(
            limit=3,
            not_before=None if urgent else not_before or s.pref_date,
            exclude_dates=list(s.declined_dates),
            part_of_day=None if urgent else part_of_day or s.pref_part,
            lost=lost,
            hold_for=s.call_sid or None,
            job_type=s.job_type,
        ),
    )


def on_windows(s: CallState, loaded: WindowsLoaded, ctx: DialogueContext) -> Reply:
    reschedule = s.intent == "reschedule"
    never = {(w.date, w.window) for w in (loaded.lost, s.target if reschedule else None) if w is not None}
    windows = [w for w in loaded.windows if (w.date, w.window) not in never]
    lead = scripts.WINDOW_TAKEN if loaded.lost else ""
    if not windows:
        return offer_office(s, scripts.WINDOW_TAKEN_NO_OTHER if loaded.lost else scripts.NO_WINDOWS)
    s.offered = windows
    s.phase = "reschedule_choose" if reschedule else "choosing_window"
    if is_urgent(s) and not reschedule:
        return choose_window(s, windows[0], ctx, join(lead, scripts.URGENT_EARLIEST))
    preferred = _preferred(s, windows)
    if preferred is not None:
        return choose_window(s, preferred, ctx, lead)
    if s.pref_date or s.pref_part:
        lead = join(lead, scripts.NOT_THAT_TIME)
    s.pref_date, s.pref_part = None, None
    return offer(s, ctx, lead)


def offer(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    return ask(s, "window", scripts.offer_question(s.offered, ctx), lead)


def unsure_window(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply | None:
    """What the caller said fits two or more of the offered windows ("tuesday" when Tuesday 8-12
    and Tuesday 12-4 were both offered, "the morning" with two mornings): they are unsure between
    them, so ask which, never guess. The offers narrow to those, so "the afternoon" then picks
    one. Shared by the rules agent and the LLM agent; None when the words pick one or none."""
    w = u.window
    if s.phase not in CHOOSING_PHASES or w is None or not w.between:
        return None
    between = [s.offered[i] for i in w.between if 0 <= i < len(s.offered)]
    if len(between) < 2:
        return None
    s.offered = between
    return ask(s, "window", scripts.which_window_question(between, ctx))


def part_of(window: str) -> str:
    return "morning" if window[:5] < "12:00" else "afternoon"


def _preferred(s: CallState, windows: list[WindowOffer]) -> WindowOffer | None:
    """The window matching a time the caller asked for before windows were offered."""
    if not (s.pref_date or s.pref_part):
        return windows[0] if s.pref_earliest else None
    for w in windows:
        if (s.pref_date in (None, w.date)) and (s.pref_part in (None, part_of(w.window))):
            return w
    return None


def choose_window(s: CallState, chosen: WindowOffer, ctx: DialogueContext, lead: str = "") -> Reply:
    s.pref_date, s.pref_part, s.pref_earliest = None, None, False
    s.slots.date, s.slots.window = chosen.date, chosen.window
    if s.intent == "reschedule":
        s.phase = "reschedule_confirm"
        return confirm(s, "reschedule", scripts.move_question(chosen, ctx), lead)
    return hold_and_read_back(s, ctx, lead)


def hold_and_read_back(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Hold the chosen window for this call, then read back (`on_held`); a window lost since it
    was offered is replaced at once by the next free one."""
    sl = s.slots
    if not (s.call_sid and sl.date and sl.window):
        return read_back(s, ctx, lead)
    s.job_type = ctx.profile.job_for(sl.issue_category, sl.issue).name
    return Reply(say=lead, effect=HoldWindow(call_sid=s.call_sid, date=sl.date, window=sl.window, job_type=s.job_type))


def on_held(s: CallState, held: WindowHeld, ctx: DialogueContext) -> Reply:
    if held.ok:
        return read_back(s, ctx)
    s.slots.date, s.slots.window = None, None
    return load_windows(s, lost=WindowOffer(date=held.date, window=held.window))


def read_back(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Contract rule 3: every detail, the window and the fee, then the question only a yes answers."""
    s.phase, s.read_back_repeated = "confirming", False  # a new read-back: a cut yes repeats it again
    return confirm(s, "book", scripts.CONFIRM_QUESTIONS["book"], join(lead, scripts.read_back(s.slots, ctx)))


# ---- a yes or a no to the confirmation question -----------------------------------------------


def agree(s: CallState, ctx: DialogueContext) -> Reply | None:
    """The caller said yes to the confirmation question just asked: what that yes allows, or None
    when no confirmation is pending."""
    kind, sl, target = s.awaiting_yes, s.slots, s.target
    if kind == "book" and s.read_back_cut and not s.read_back_repeated:
        # A yes said over the read-back may come before the fee and the window were heard
        # (contract rule 3): say them again, once, and ask again.
        s.read_back_repeated = True
        return ask(s, "confirm", scripts.CONFIRM_QUESTIONS["book"], scripts.read_back_again(s.slots, ctx))
    if kind == "book":
        return Reply(effect=Book(request=s.booking_request()))
    if kind == "cancel" and target is not None:
        return Reply(effect=CancelAppointment(appointment_id=target.id, call_sid=s.call_sid))
    if kind == "forget" and s.caller_id:
        return Reply(effect=ForgetCaller(phone=s.caller_id))
    if kind == "reschedule" and target is not None and sl.date and sl.window:
        return Reply(
            effect=RescheduleAppointment(appointment_id=target.id, call_sid=s.call_sid, date=sl.date, window=sl.window)
        )
    return None


def decline(s: CallState, ctx: DialogueContext) -> Reply:
    """A plain no to the confirmation question: nothing is booked, cancelled or moved."""
    kind = s.awaiting_yes
    s.awaiting_yes = None
    if kind == "cancel":
        return hang_up(s, ctx, scripts.KEEP_APPOINTMENT)
    if kind == "reschedule":
        s.phase = "reschedule_choose"
        return offer(s, ctx, scripts.NO_PROBLEM)
    if kind == "forget":
        s.phase = "collecting"
        return ask(s, "intent", scripts.HOW_ELSE, scripts.NO_PROBLEM)
    s.phase = "collecting"
    return ask(s, "anything_else", scripts.QUESTIONS["anything_else"], scripts.NO_PROBLEM)


# ---- results of effects -----------------------------------------------------------------------


def on_booking(s: CallState, result: BookingResult, ctx: DialogueContext) -> Reply:
    sl = s.slots
    if result.ok:
        s.phase, s.outcome, s.appointment_id = "booked", "booked", result.appointment_id
        date, window = result.date or sl.date, result.window or sl.window
        assert date and window and sl.phone
        said = scripts.booked(WindowOffer(date=date, window=window), sl.phone, ctx)
        if is_urgent(s) and not ctx.profile.office_open(ctx.now):
            # After hours, an urgent visit is booked in the next open window and the on-call
            # line is offered for now.
            s.phase = "offer_oncall"
            return ask(s, "yes_no", scripts.ONCALL_OFFER, said)
        return hang_up(s, ctx, said)
    if result.reason in ("window_full", "invalid_window"):
        # Lost the race for the last place: capacity is read again and what is open is offered, so
        # the caller is never told a stale window is available.
        lost = WindowOffer(date=sl.date, window=sl.window) if sl.date and sl.window else None
        sl.date, sl.window = None, None
        return load_windows(s, lost=lost)
    return transfer(s, ctx, "fallback")


def start_change(s: CallState, intent: Literal["cancel", "reschedule"], phone: str | None) -> Reply:
    """Cancel or reschedule: find the caller's booking under the number given, or their own."""
    s.intent = intent
    s.phase = "cancel_lookup"
    number = phone or s.slots.phone or s.caller_id
    if number is None:
        return ask(s, "phone", scripts.BOOKED_UNDER)
    return look_up(s, number, scripts.LOOKING_UP)


def look_up(s: CallState, phone: str, lead: str = scripts.LOOKING_THAT_UP) -> Reply:
    s.slots.phone = phone
    s.pending_phone_digits = ""
    return Reply(say=lead, effect=FindAppointments(phone=phone))


def on_found(s: CallState, found: AppointmentsFound, ctx: DialogueContext) -> Reply:
    """Contract rule 7. Under the caller ID the booking is the caller's; under any other number
    nothing is said (not even whether there is a booking) until a second factor matches."""
    booked = [a for a in found.appointments if a.status == "booked"]
    number = s.slots.phone
    if number is None or number not in (s.caller_id, s.verified_phone):
        s.unverified, s.existing, s.target, s.verify_tries = booked, [], None, 0
        s.phase = "verifying"
        return ask(s, "name", scripts.VERIFY_QUESTION)
    s.verified_phone = number
    if not booked:
        if number == s.caller_id and s.asked != "phone":
            s.slots.phone = None
            return ask(s, "phone", scripts.BOOKED_UNDER, scripts.NOT_UNDER_CALLER_ID)
        return offer_office(s, scripts.NOT_FOUND)
    return _reveal(s, booked, ctx)


def _reveal(s: CallState, booked: list[AppointmentRef], ctx: DialogueContext, lead: str = "") -> Reply:
    """The caller holds the number: their appointment may be said, then cancelled or moved."""
    s.existing, s.target = booked, booked[0]
    found_words = join(lead, scripts.found_appointment(s.target, ctx))
    if s.intent == "cancel":
        s.phase = "cancel_confirm"
        return confirm(s, "cancel", scripts.CONFIRM_QUESTIONS["cancel"], found_words)
    s.phase = "reschedule_choose"
    return load_windows(s, found_words)


@dataclasses.dataclass(frozen=True)
class SecondFactor:
    """What a caller on another number offers to prove a booking is theirs."""

    name: str | None = None
    house_number: str | None = None
    zip: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.name or (self.house_number and self.zip))


def _name_tokens(name: str) -> list[str]:
    return re.findall(r"[a-z]+", name.lower())


def factor_matches(appointment: AppointmentRef, factor: SecondFactor) -> bool:
    """The name on the booking (first and last, any order, one middle name allowed, never a list of
    names to pick from), or the house number and ZIP code of the visit together."""
    if factor.name:
        booked, given = _name_tokens(appointment.customer_name), _name_tokens(factor.name)
        whole = len(booked) >= 2 or booked == given  # a one-word name on the booking: exactly that
        if booked and set(booked) <= set(given) and len(given) <= len(booked) + 1 and whole:
            return True
    if factor.house_number and factor.zip:
        house = re.match(r"\s*(\d+)", appointment.address)
        return house is not None and house.group(1) == factor.house_number and appointment.zip == factor.zip
    return False


def verify(s: CallState, factor: SecondFactor, ctx: DialogueContext) -> Reply:
    """A second factor for the number given: a match reveals that booking; no match (and no booking
    at all) gets the very same words, a second time a person."""
    if not factor.given:
        return miss(s, ctx)
    matching = [a for a in s.unverified if factor_matches(a, factor)]
    if matching:
        s.verified_phone, s.unverified = s.slots.phone, []
        return _reveal(s, matching, ctx, scripts.VERIFIED)
    s.verify_tries += 1
    if s.verify_tries >= VERIFY_TRIES:
        s.unverified = []
        return offer_office(s, scripts.VERIFY_GIVE_UP)
    return ask(s, "name", scripts.VERIFY_QUESTION, scripts.VERIFY_NO_MATCH)


# ---- "forget me" ------------------------------------------------------------------------------


def start_forget(s: CallState, ctx: DialogueContext) -> Reply:
    """The caller asks to be forgotten: only for the number the call comes from, after a yes."""
    if not s.caller_id:
        return offer_office(s, scripts.FORGET_NO_CALLER_ID)
    s.phase = "forget_confirm"
    return confirm(s, "forget", scripts.FORGET_QUESTION)


def on_forgotten(s: CallState, result: CallerForgotten, ctx: DialogueContext) -> Reply:
    if not result.ok:
        return offer_office(s, scripts.FORGET_FAILED)
    s.forgotten, s.past, s.existing, s.target = True, [], [], None
    s.slots = s.slots.model_copy(update={"name": None, "street": None, "unit": None, "phone": None})
    return hang_up(s, ctx, scripts.FORGOTTEN_DONE)


def on_change(s: CallState, result: ChangeResult, ctx: DialogueContext) -> Reply:
    sl = s.slots
    if result.ok:
        s.appointment_id = s.target.id if s.target else None
        if s.intent == "cancel":
            s.outcome = "cancelled"
            return hang_up(s, ctx, scripts.CANCELLED)
        s.outcome = "rescheduled"
        moved = result.appointment
        date, window = (moved.date, moved.window) if moved else (sl.date, sl.window)
        assert date and window
        return hang_up(s, ctx, scripts.moved(WindowOffer(date=date, window=window), ctx))
    if result.reason in ("window_full", "invalid_window"):
        lost = WindowOffer(date=sl.date, window=sl.window) if sl.date and sl.window else None
        sl.date, sl.window = None, None
        s.phase = "reschedule_choose"
        return load_windows(s, lost=lost)
    return transfer(s, ctx, "fallback")


def on_result(s: CallState, result: Result, ctx: DialogueContext) -> Reply:
    """The next step after an effect was carried out."""
    if isinstance(result, WindowsLoaded):
        return on_windows(s, result, ctx)
    if isinstance(result, WindowHeld):
        return on_held(s, result, ctx)
    if isinstance(result, BookingResult):
        return on_booking(s, result, ctx)
    if isinstance(result, AppointmentsFound):
        return on_found(s, result, ctx)
    if isinstance(result, HistoryLoaded):
        return on_history(s, result, ctx)
    if isinstance(result, CallerForgotten):
        return on_forgotten(s, result, ctx)
    return on_change(s, result, ctx)
