"""The rules agent: a pure `step(state, event, ctx) -> (state, reply)` that runs a whole call.

Order of concerns on every caller turn: safety first (emergency script), then a person when asked
or when the caller is frustrated, then questions, then the phase's own work. Slots arrive in any
order and several at a time; a valid slot is never asked for again unless corrected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.context import DialogueContext, nlu_context
from hvac_agent.dialogue.nlu import parse_keypad, speak_phone, speak_window, understand
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.state import (
    URGENCY_RANK,
    AppointmentsFound,
    Book,
    BookingResult,
    CallerSaid,
    CallerUnclear,
    CallStarted,
    CallState,
    CancelAppointment,
    ChangeResult,
    DigitsPressed,
    EmergencyKind,
    Event,
    Expect,
    FindAppointments,
    HangUp,
    LoadWindows,
    Reply,
    RescheduleAppointment,
    Silence,
    WindowOffer,
    WindowsLoaded,
)

MAX_SILENCES = 3
FRUSTRATION_TRANSFER = 0.7
LONG_CALL_TURNS = 30


def step(state: CallState, event: Event, ctx: DialogueContext) -> tuple[CallState, Reply]:
    """Advance one call by one event. Pure: the input state is not modified."""
    s = state.model_copy(deep=True)
    reply = _dispatch(s, event, ctx)
    if reply.say:
        s.remember("agent", reply.say, ctx.now)
    if reply.action == "listen" and reply.effect is None:
        s.asked = reply.expect
    elif reply.action in ("transfer", "hangup"):
        s.ended = True
        s.asked = None
    return s, reply


def _dispatch(s: CallState, event: Event, ctx: DialogueContext) -> Reply:
    if isinstance(event, CallStarted):
        return _greet(s, event, ctx)
    if isinstance(event, HangUp):
        s.ended = True
        return Reply(say="", action="hangup")
    if isinstance(event, WindowsLoaded):
        return _on_windows(s, event.windows, ctx)
    if isinstance(event, BookingResult):
        return _on_booking(s, event, ctx)
    if isinstance(event, AppointmentsFound):
        return _on_found(s, event, ctx)
    if isinstance(event, ChangeResult):
        return _on_change(s, event, ctx)
    # Caller turns.
    s.turn += 1
    if s.ended:
        return Reply(say=scripts.goodbye(ctx.profile), action="hangup")
    if isinstance(event, Silence):
        return _on_silence(s, ctx)
    s.silences = 0
    if isinstance(event, CallerUnclear):
        return _not_understood(s, ctx)
    if isinstance(event, CallerSaid):
        text = event.text.strip()
        if not text:
            return _on_silence(s, ctx)
        understood = understand(text, nlu_context(s, ctx))
        s.remember("caller", text, ctx.now)
        return _on_understanding(s, understood, ctx)
    if isinstance(event, DigitsPressed):
        understood = parse_keypad(event.digits, nlu_context(s, ctx))
        s.remember("caller", f"(keypad) {event.digits}", ctx.now)
        return _on_understanding(s, understood, ctx)
    raise TypeError(f"unhandled event {type(event).__name__}")


# ---- helpers ----------------------------------------------------------------------------------


def _ask(s: CallState, expect: Expect, question: str, lead: str = "", *, keypad: bool = False) -> Reply:
    s.last_question = question
    say = f"{lead} {question}".strip()
    return Reply(say=say, action="listen", expect=expect, keypad=keypad)


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _with_lead(reply: Reply, lead: str) -> Reply:
    if not lead:
        return reply
    return reply.model_copy(update={"say": _join(lead, reply.say)})


def _transfer(s: CallState, ctx: DialogueContext, reason: str) -> Reply:
    if s.outcome in ("in_progress", "out_of_area"):
        s.outcome = "transferred"
    s.phase = "done"
    return Reply(
        say=scripts.transfer(reason),
        action="transfer",
        transfer_to=ctx.profile.transfer_number,
        transfer_reason=reason,  # type: ignore[arg-type]
    )


def _hang_up(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    s.phase = "done"
    return Reply(say=_join(lead, scripts.goodbye(ctx.profile)), action="hangup")


def _emergency(s: CallState, kind: EmergencyKind, ctx: DialogueContext) -> Reply:
    s.emergency = kind
    s.phase = "emergency"
    s.outcome = "emergency"
    s.slots.urgency = "emergency"
    return Reply(
        say=scripts.emergency(ctx.profile, kind),
        action="transfer",
        transfer_to=ctx.profile.oncall_number,
        transfer_reason="emergency",
    )


def _not_understood(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Rule 8: the second miss on one question changes route (keypad, example); the third, a person."""
    key = s.asked or "intent"
    misses = s.misunderstood.get(key, 0) + 1
    s.misunderstood[key] = misses
    question = s.last_question or scripts.QUESTIONS["intent"]
    if misses >= 3:
        return _transfer(s, ctx, "fallback")
    if misses == 2:
        example = scripts.EXAMPLES.get(key, "")
        keypad = key in scripts.KEYPAD_EXPECTS
        reply = _ask(s, key, question, _join(lead, "Sorry, I'm still not getting that.", example), keypad=keypad)
        s.last_question = question
        return reply
    reply = _ask(s, key, question, _join(lead, "Sorry, I didn't catch that."))
    return reply


# ---- events -----------------------------------------------------------------------------------


def _greet(s: CallState, event: CallStarted, ctx: DialogueContext) -> Reply:
    if event.caller_id and not s.caller_id:
        s.caller_id = event.caller_id
    return _ask(s, "intent", scripts.greeting(ctx.profile))


def _on_silence(s: CallState, ctx: DialogueContext) -> Reply:
    s.silences += 1
    if s.silences >= MAX_SILENCES:
        return _hang_up(s, ctx, "I'm sorry, I can't hear you. Please call us back when you're able.")
    question = s.last_question or scripts.QUESTIONS["intent"]
    lead = "Sorry, I didn't hear anything." if s.silences == 1 else "Are you still there?"
    reply = _ask(s, s.asked or "intent", question, lead)
    return reply


def _on_understanding(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.emergency and s.phase != "emergency":
        return _emergency(s, u.emergency, ctx)
    s.frustration = max(s.frustration * 0.85, u.frustration)
    if s.turn > LONG_CALL_TURNS:
        s.frustration = max(s.frustration, 0.5 + 0.05 * (s.turn - LONG_CALL_TURNS))
    if u.intent == "human":
        return _transfer(s, ctx, "requested")
    if s.frustration >= FRUSTRATION_TRANSFER:
        return _transfer(s, ctx, "frustration")
    if u.intent == "goodbye" and s.phase not in ("confirming", "reschedule_confirm", "cancel_confirm"):
        return _hang_up(s, ctx)
    lead = _answer_question(u, ctx)
    if lead and not _carries_answer(u):
        # A pure question: answer it and put the pending question again, without counting a miss.
        return _ask(s, s.asked or "intent", s.last_question or scripts.QUESTIONS["intent"], lead)
    if u.intent in ("cancel", "reschedule") and s.phase == "collecting" and s.appointment_id is None:
        return _with_lead(_start_change(s, u, ctx, u.intent), lead)
    handler = _PHASES.get(s.phase, _phase_done)
    return _with_lead(handler(s, u, ctx), lead)


def _carries_answer(u: Understanding) -> bool:
    return bool(
        u.name or u.phone or u.phone_digits or u.street or u.zip or u.unit or u.issue or u.yes_no
        or u.window or u.use_caller_id or u.intent in ("cancel", "reschedule")
    )


def _answer_question(u: Understanding, ctx: DialogueContext) -> str:
    if u.question == "price":
        return scripts.price_answer(ctx.profile)
    if u.question == "hours":
        return scripts.hours_answer(ctx.profile)
    if u.question == "service_area":
        return scripts.area_answer(ctx.profile)
    if u.question == "identity":
        return scripts.identity_answer(ctx.profile)
    return ""


# ---- slot filling -----------------------------------------------------------------------------


def _merge(s: CallState, u: Understanding, ctx: DialogueContext) -> bool:
    """Take every valid slot the utterance carries. Returns True when anything changed."""
    sl = s.slots
    changed = False
    open_to = set(u.corrected) if u.correction else set()

    def accept(slot: str, current: object) -> bool:
        return current is None or slot in open_to or u.correction or s.asked in _EXPECT_SLOTS.get(slot, ())

    if u.name and u.name != sl.name and accept("name", sl.name):
        sl.name, changed = u.name, True
    if u.phone and u.phone != sl.phone and accept("phone", sl.phone):
        sl.phone, changed = u.phone, True
        s.pending_phone_digits = ""
    elif u.use_caller_id and s.caller_id and s.asked in ("phone", "phone_confirm") and not sl.phone:
        sl.phone, changed = s.caller_id, True
    if not u.phone and u.phone_digits:
        s.pending_phone_digits = u.phone_digits
        changed = True
    if u.street and u.street != sl.street and accept("address", sl.street):
        sl.street, changed = u.street, True
        if u.unit is None and sl.unit and "address" in open_to:
            sl.unit = None
            s.unit_asked = False
    if u.unit and u.unit != sl.unit:
        sl.unit, changed = u.unit, True
        s.unit_asked = True
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
    if u.urgency and (sl.urgency is None or URGENCY_RANK[u.urgency] > URGENCY_RANK[sl.urgency]):
        sl.urgency, changed = u.urgency, True
    if u.window and s.phase == "collecting":
        w = u.window
        if w.date or w.part_of_day or w.earliest:
            s.pref_date = w.date or s.pref_date
            s.pref_part = w.part_of_day or s.pref_part
            s.pref_earliest = s.pref_earliest or w.earliest
            changed = True
        if w.exclude_dates:
            s.declined_dates = sorted(set(s.declined_dates) | set(w.exclude_dates))
            changed = True
    return changed


_EXPECT_SLOTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "phone": ("phone", "phone_confirm"),
    "address": ("address",),
    "zip": ("zip", "address"),
    "issue": ("issue",),
}


def _answer_to_asked(s: CallState, u: Understanding) -> bool:
    """Yes/no answers to the agent's own yes/no questions in the collecting phase."""
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
    return False


def _phase_collecting(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    asked_before = s.asked
    changed = _merge(s, u, ctx)
    answered = _answer_to_asked(s, u)
    if s.asked == "urgency" and not answered and u.urgency:
        answered = True
    if s.asked == "unit" and u.yes_no == "yes" and not u.unit:
        return _ask(s, "unit", "What's the apartment or unit number?")
    if s.slots.zip and not ctx.profile.serves_zip(s.slots.zip):
        return _out_of_area(s, ctx)
    if s.asked == "anything_else" and _mentions_time(u.text):
        s.slots.date = None
        s.slots.window = None
        changed = True
    if not changed and not answered and asked_before not in (None, "intent"):
        return _not_understood(s, ctx)
    if not changed and not answered and asked_before == "intent" and not u.intent:
        return _not_understood(s, ctx)
    if s.pending_phone_digits and not s.slots.phone and s.asked in ("phone", "phone_confirm"):
        spoken = " ".join(s.pending_phone_digits)
        return _ask(s, "phone", "Go ahead with the rest of the number.", f"I have {spoken} so far.")
    return _next(s, ctx)


def _mentions_time(text: str) -> bool:
    words = set(text.lower().replace(",", " ").split())
    return bool(words & {"time", "window", "day", "date", "appointment", "morning", "afternoon", "when"})


def _next(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    """Ask for the first missing slot, or move on to windows / read-back."""
    sl = s.slots
    s.phase = "collecting"
    if not sl.issue:
        return _ask(s, "issue", scripts.QUESTIONS["issue"], lead)
    if not sl.name:
        return _ask(s, "name", scripts.QUESTIONS["name"], lead)
    if not sl.phone:
        if s.caller_id and not s.caller_id_declined and not s.pending_phone_digits:
            question = (
                f"Is the number you're calling from, {speak_phone(s.caller_id)}, "
                "the best number to reach you?"
            )
            return _ask(s, "phone_confirm", question, lead)
        return _ask(s, "phone", scripts.QUESTIONS["phone"], lead)
    if not sl.street:
        return _ask(s, "address", scripts.QUESTIONS["address"], lead)
    if not sl.zip:
        return _ask(s, "zip", scripts.QUESTIONS["zip"], lead)
    if not sl.unit and not s.unit_asked:
        s.unit_asked = True
        return _ask(s, "unit", scripts.QUESTIONS["unit"], lead)
    if sl.urgency is None:
        return _ask(s, "urgency", scripts.QUESTIONS["urgency"], lead)
    if sl.date and sl.window:
        return _read_back(s, ctx, lead)
    return _load_windows(s, lead or "Let me check our schedule.")


def _load_windows(s: CallState, lead: str = "") -> Reply:
    not_before = s.pref_date
    if s.slots.urgency in ("urgent", "emergency"):
        not_before = None  # urgent visits go in the earliest window
    return Reply(
        say=lead,
        effect=LoadWindows(
            limit=3,
            not_before=not_before,
            exclude_dates=list(s.declined_dates),
            part_of_day=s.pref_part if s.slots.urgency not in ("urgent", "emergency") else None,
        ),
    )


def _on_windows(s: CallState, windows: list[WindowOffer], ctx: DialogueContext) -> Reply:
    reschedule = s.intent == "reschedule"
    if reschedule and s.target:
        windows = [w for w in windows if (w.date, w.window) != (s.target.date, s.target.window)]
    if not windows:
        s.phase = "offer_transfer"
        return _ask(
            s,
            "yes_no",
            "Would you like me to connect you with our office?",
            "I'm sorry, I don't have any open arrival windows that fit.",
        )
    s.offered = windows
    s.phase = "reschedule_choose" if reschedule else "choosing_window"
    urgent = s.slots.urgency in ("urgent", "emergency") and not reschedule
    if urgent:
        return _choose(s, windows[0], ctx, "Since this is urgent, I'll put you in our earliest opening.")
    preferred = _match_preference(s, windows)
    if preferred is not None:
        return _choose(s, preferred, ctx)
    lead = ""
    if s.pref_date or s.pref_part:
        lead = "I don't have that exact time open."
    s.pref_date, s.pref_part = None, None
    expect: Expect = "window"
    return _ask(s, expect, scripts.offer_question(windows, ctx), lead)


def _match_preference(s: CallState, windows: list[WindowOffer]) -> WindowOffer | None:
    if s.pref_earliest and not (s.pref_date or s.pref_part):
        return windows[0]
    if not (s.pref_date or s.pref_part):
        return None
    for w in windows:
        if s.pref_date and w.date != s.pref_date:
            continue
        if s.pref_part and _part_of(w.window) != s.pref_part:
            continue
        return w
    return None


def _part_of(window: str) -> str:
    return "morning" if window[:5] < "12:00" else "afternoon"


def _choose(s: CallState, offer: WindowOffer, ctx: DialogueContext, lead: str = "") -> Reply:
    s.pref_date, s.pref_part, s.pref_earliest = None, None, False
    if s.intent == "reschedule":
        s.slots.date, s.slots.window = offer.date, offer.window
        s.phase = "reschedule_confirm"
        when = speak_window(offer, ctx.now, ctx.profile.timezone)
        return _ask(s, "confirm", f"I'll move your appointment to {when}. Shall I go ahead?", lead)
    s.slots.date, s.slots.window = offer.date, offer.window
    return _read_back(s, ctx, lead)


def _read_back(s: CallState, ctx: DialogueContext, lead: str = "") -> Reply:
    s.phase = "confirming"
    return _ask(s, "confirm", scripts.CONFIRM_QUESTION, _join(lead, scripts.read_back(s.slots, ctx)))


def _phase_choosing(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    w = u.window
    offers = s.offered
    if w and w.offer_index is not None and 0 <= w.offer_index < len(offers):
        return _choose(s, offers[w.offer_index], ctx)
    if w and w.earliest and offers and not (w.date or w.part_of_day):
        return _choose(s, offers[0], ctx)
    if w and (w.date or w.part_of_day or w.exclude_dates):
        if w.exclude_dates:
            s.declined_dates = sorted(set(s.declined_dates) | set(w.exclude_dates))
        candidates = [
            o
            for o in offers
            if (w.date is None or o.date == w.date)
            and (w.part_of_day is None or _part_of(o.window) == w.part_of_day)
            and o.date not in s.declined_dates
        ]
        if candidates and (w.date or w.part_of_day):
            return _choose(s, candidates[0], ctx)
        s.pref_date, s.pref_part = w.date, w.part_of_day
        return _load_windows(s, "Let me look for that.")
    if u.yes_no == "yes" and len(offers) == 1:
        return _choose(s, offers[0], ctx)
    if u.yes_no == "no" and offers:
        last = max(o.date for o in offers)
        s.pref_date = last + dt.timedelta(days=1)
        return _load_windows(s, "No problem, let me look further out.")
    if _merge(s, u, ctx):
        if s.slots.zip and not ctx.profile.serves_zip(s.slots.zip):
            return _out_of_area(s, ctx)
        return _ask(s, "window", scripts.offer_question(offers, ctx), "Got it.")
    return _not_understood(s, ctx)


def _phase_confirming(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.correction or (u.yes_no != "yes" and _has_slot_values(u)):
        # Anything said against the read-back replaces what we had: it is a correction.
        _merge(s, u.model_copy(update={"correction": True}), ctx)
        if s.slots.zip and not ctx.profile.serves_zip(s.slots.zip):
            return _out_of_area(s, ctx)
        if _mentions_time(u.text) and not u.window:
            s.slots.date, s.slots.window = None, None
        return _next(s, ctx, "Thanks for the correction.")
    if u.yes_no == "yes":
        return Reply(say="", effect=Book(request=s.booking_request()))
    if u.yes_no == "no":
        s.phase = "collecting"
        return _ask(s, "anything_else", scripts.QUESTIONS["anything_else"], "No problem.")
    return _not_understood(s, ctx)


def _has_slot_values(u: Understanding) -> bool:
    return any((u.name, u.phone, u.street, u.zip, u.unit, u.window and u.window.offer_index is not None))


def _on_booking(s: CallState, result: BookingResult, ctx: DialogueContext) -> Reply:
    if result.ok:
        s.phase = "booked"
        s.outcome = "booked"
        s.appointment_id = result.appointment_id
        sl = s.slots
        date = result.date or sl.date
        window = result.window or sl.window
        assert date and window and sl.phone
        when = speak_window(WindowOffer(date=date, window=window), ctx.now, ctx.profile.timezone)
        text = (
            f"You're all set. A technician will arrive {when}, and will call {speak_phone(sl.phone)} "
            "when they're on the way."
        )
        return _hang_up(s, ctx, text)
    if result.reason in ("window_full", "invalid_window"):
        if s.slots.date:
            s.offered = [o for o in s.offered if (o.date, o.window) != (s.slots.date, s.slots.window)]
        s.slots.date, s.slots.window = None, None
        return _load_windows(s, "I'm sorry, that window was just taken.")
    return _transfer(s, ctx, "fallback")


def _out_of_area(s: CallState, ctx: DialogueContext) -> Reply:
    s.phase = "out_of_area"
    s.outcome = "out_of_area"
    assert s.slots.zip
    s.last_question = "Would you like to leave a message?"
    return Reply(say=scripts.out_of_area(ctx.profile, s.slots.zip), action="listen", expect="yes_no")


def _phase_out_of_area(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.zip and ctx.profile.serves_zip(u.zip):
        s.slots.zip = u.zip
        s.outcome = "in_progress"
        return _next(s, ctx, "Thanks, that ZIP code is in our area.")
    if u.yes_no == "yes" or "message" in u.text.lower():
        s.phase = "taking_message"
        return _ask(s, "message", scripts.QUESTIONS["message"])
    if u.yes_no == "no":
        return _hang_up(s, ctx, "I'm sorry we couldn't help this time.")
    return _not_understood(s, ctx)


def _phase_message(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    s.message = u.text
    if s.outcome == "in_progress":
        s.outcome = "message"
    return _hang_up(s, ctx, "Thank you, I'll pass your message to our office.")


def _phase_offer_transfer(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.yes_no == "yes":
        return _transfer(s, ctx, "requested")
    if u.yes_no == "no":
        return _hang_up(s, ctx)
    return _not_understood(s, ctx)


# ---- cancel / reschedule ----------------------------------------------------------------------


def _start_change(s: CallState, u: Understanding, ctx: DialogueContext, intent: str) -> Reply:
    s.intent = "cancel" if intent == "cancel" else "reschedule"
    phone = u.phone or s.slots.phone or s.caller_id
    s.phase = "cancel_lookup"
    if phone:
        s.slots.phone = phone
        return Reply(say="Let me look up your appointment.", effect=FindAppointments(phone=phone))
    return _ask(s, "phone", "What phone number was the appointment booked under?")


def _phase_lookup(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    if u.phone:
        s.slots.phone = u.phone
        s.pending_phone_digits = ""
        return Reply(say="Let me look that up.", effect=FindAppointments(phone=u.phone))
    if u.phone_digits:
        s.pending_phone_digits = u.phone_digits
        return _ask(s, "phone", "Go ahead with the rest of the number.")
    return _not_understood(s, ctx)


def _on_found(s: CallState, event: AppointmentsFound, ctx: DialogueContext) -> Reply:
    booked = [a for a in event.appointments if a.status == "booked"]
    if not booked:
        if s.slots.phone == s.caller_id and s.asked != "phone":
            s.slots.phone = None
            return _ask(
                s,
                "phone",
                "What phone number was the appointment booked under?",
                "I don't see an upcoming appointment under the number you're calling from.",
            )
        s.phase = "offer_transfer"
        return _ask(
            s,
            "yes_no",
            "Would you like me to connect you with our office?",
            "I couldn't find an upcoming appointment under that number.",
        )
    s.existing = booked
    s.target = booked[0]
    found = scripts.found_appointment(s.target, ctx)
    if s.intent == "cancel":
        s.phase = "cancel_confirm"
        return _ask(s, "confirm", "Would you like me to cancel it?", found)
    s.phase = "reschedule_choose"
    return _load_windows(s, found)


def _phase_cancel_confirm(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    assert s.target
    if u.yes_no == "yes":
        return Reply(say="", effect=CancelAppointment(appointment_id=s.target.id, call_sid=s.call_sid))
    if u.yes_no == "no":
        return _hang_up(s, ctx, "Okay, I'll leave your appointment as it is.")
    return _not_understood(s, ctx)


def _phase_reschedule_confirm(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    assert s.target
    if u.yes_no == "yes" and s.slots.date and s.slots.window:
        return Reply(
            say="",
            effect=RescheduleAppointment(
                appointment_id=s.target.id, call_sid=s.call_sid, date=s.slots.date, window=s.slots.window
            ),
        )
    if u.yes_no == "no" or u.window:
        s.phase = "reschedule_choose"
        if u.window:
            return _phase_choosing(s, u, ctx)
        return _ask(s, "window", scripts.offer_question(s.offered, ctx), "No problem.")
    return _not_understood(s, ctx)


def _on_change(s: CallState, result: ChangeResult, ctx: DialogueContext) -> Reply:
    if result.ok and s.intent == "cancel":
        s.outcome = "cancelled"
        s.appointment_id = s.target.id if s.target else None
        return _hang_up(s, ctx, "Your appointment has been cancelled.")
    if result.ok:
        s.outcome = "rescheduled"
        s.appointment_id = s.target.id if s.target else None
        appt = result.appointment
        date = appt.date if appt else s.slots.date
        window = appt.window if appt else s.slots.window
        assert date and window
        when = speak_window(WindowOffer(date=date, window=window), ctx.now, ctx.profile.timezone)
        return _hang_up(s, ctx, f"Done. Your appointment is now {when}.")
    if result.reason in ("window_full", "invalid_window"):
        s.slots.date, s.slots.window = None, None
        s.phase = "reschedule_choose"
        return _load_windows(s, "I'm sorry, that window was just taken.")
    return _transfer(s, ctx, "fallback")


def _phase_done(s: CallState, u: Understanding, ctx: DialogueContext) -> Reply:
    return _hang_up(s, ctx)


_PHASES: dict[str, Callable[[CallState, Understanding, DialogueContext], Reply]] = {
    "collecting": _phase_collecting,
    "choosing_window": _phase_choosing,
    "reschedule_choose": _phase_choosing,
    "confirming": _phase_confirming,
    "out_of_area": _phase_out_of_area,
    "taking_message": _phase_message,
    "offer_transfer": _phase_offer_transfer,
    "cancel_lookup": _phase_lookup,
    "cancel_confirm": _phase_cancel_confirm,
    "reschedule_confirm": _phase_reschedule_confirm,
}
