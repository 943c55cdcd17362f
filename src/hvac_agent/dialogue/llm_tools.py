"""The LLM agent's tools, and the code that keeps the guarantees whatever the model asks for.

Every tool validates its arguments and the call state before it touches the `BookingPort`; a
refusal or failure goes back to the model as a tool result (`{"ok": false, "error": ...}`), never
as an exception. Words that carry a guarantee — the read-back, the booking confirmation, the
safety script, the out-of-area notice — are written by code here, not by the model, and end the
model's turn (`ToolOutcome.stop`).

The state is kept exactly as the rules agent keeps it (phase, asked, slots, offered, target), so
the degradation ladder can hand the call to the rules agent at any turn without a question asked
twice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.nlu import speak_phone, speak_window
from hvac_agent.dialogue.nlu.phone import to_e164
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.state import (
    URGENCY_RANK,
    CallState,
    EmergencyKind,
    Expect,
    IssueCategory,
    WindowOffer,
)

ISSUE_CATEGORIES: tuple[str, ...] = get_args(IssueCategory)
EMERGENCY_KINDS: tuple[str, ...] = get_args(EmergencyKind)
UNIT_EXPECT: Expect = "unit"
_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{0,58}[A-Za-z.]$")
_STREET = re.compile(r"^\d{1,6}[A-Za-z]?\s+\S.{1,70}$")


def _schema(
    name: str, description: str, properties: dict[str, Any], required: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required or [],
                "additionalProperties": False,
            },
        },
    }


_S = {"type": "string"}
TOOL_SCHEMAS: list[dict[str, Any]] = [
    _schema(
        "update_caller_details",
        "Record details the caller just gave (any subset). Call it as soon as you hear any detail. "
        "date+window must be one of the windows check_availability returned.",
        {
            "name": {**_S, "description": "first and last name"},
            "phone": {**_S, "description": "callback number, digits"},
            "use_caller_id": {"type": "boolean", "description": "caller said the number they call from is best"},
            "street": {**_S, "description": "street line, e.g. 4410 Duval Street"},
            "unit": {**_S, "description": "apartment or unit, e.g. Apt 2B"},
            "no_unit": {"type": "boolean", "description": "caller said there is no unit"},
            "zip": {**_S, "description": "5-digit ZIP code"},
            "issue": {**_S, "description": "the problem in brief, caller's words"},
            "issue_category": {"type": "string", "enum": list(ISSUE_CATEGORIES)},
            "urgency": {
                "type": "string",
                "enum": ["urgent", "routine"],
                "description": "urgent: no heat in freezing weather, active leak, vulnerable occupants",
            },
            "date": {**_S, "description": "YYYY-MM-DD of a window from check_availability"},
            "window": {**_S, "description": "window label from check_availability, e.g. 08:00-12:00"},
        },
    ),
    _schema(
        "check_availability",
        "The first open arrival windows. Only once every detail is collected.",
        {
            "part_of_day": {"type": "string", "enum": ["morning", "afternoon"]},
            "not_before": {**_S, "description": "YYYY-MM-DD"},
        },
    ),
    _schema(
        "create_booking",
        "Book the visit. Only after the system's read-back and the caller's explicit yes.",
        {},
    ),
    _schema(
        "cancel_booking",
        "Find the caller's appointment (by caller ID or the number given) and, after their yes to "
        "the system's confirmation question, cancel it.",
        {"phone": {**_S, "description": "number the appointment was booked under, digits"}},
    ),
    _schema(
        "reschedule_booking",
        "Find the caller's appointment and get new windows; with date+window of an offered window, "
        "propose the move. The move happens after the caller's yes.",
        {"phone": _S, "date": _S, "window": _S},
    ),
    _schema(
        "transfer_to_human",
        "Connect the caller with a person at the office.",
        {"reason": {"type": "string", "enum": ["requested", "frustration", "fallback"]}},
    ),
    _schema(
        "report_emergency",
        "Gas smell, carbon monoxide alarm or symptoms, smoke/sparks/burning from the unit.",
        {"kind": {"type": "string", "enum": list(EMERGENCY_KINDS)}},
        ["kind"],
    ),
]
TOOL_NAMES = frozenset(t["function"]["name"] for t in TOOL_SCHEMAS)


@dataclass
class ToolOutcome:
    """What one tool call did: the JSON result for the model, and code-authored words to speak."""

    result: dict[str, Any]
    say: str = ""
    stop: bool = False  # the code spoke for this turn; do not ask the model again
    action: Literal["listen", "transfer", "hangup"] = "listen"
    transfer_to: str | None = None
    transfer_reason: Literal["requested", "frustration", "emergency", "out_of_area", "fallback"] | None = None
    expect: Expect | None = None
    booked: bool = False

    def to_message(self) -> str:
        return json.dumps(self.result, default=str)


def _error(message: str, **extra: Any) -> ToolOutcome:
    return ToolOutcome(result={"ok": False, "error": message, **extra})


def missing_slots(state: CallState) -> list[str]:
    """What the booking still needs, in the rules agent's order of asking."""
    sl = state.slots
    out: list[str] = []
    if not sl.issue:
        out.append("issue")
    if not sl.name:
        out.append("name")
    if not sl.phone:
        out.append("phone")
    if not sl.street:
        out.append("address")
    if not sl.zip:
        out.append("zip")
    if not sl.unit and not state.unit_asked:
        out.append("unit")
    if sl.urgency is None:
        out.append("urgency")
    return out


def next_expect(state: CallState) -> Expect | None:
    """What the agent is waiting to hear next, named as the rules agent names it."""
    if state.phase in ("confirming", "cancel_confirm", "reschedule_confirm"):
        return "confirm"
    if state.phase in ("choosing_window", "reschedule_choose"):
        return "window"
    if state.phase in ("out_of_area", "offer_transfer"):
        return "yes_no"
    if state.phase == "taking_message":
        return "message"
    if state.phase == "cancel_lookup":
        return "phone"
    missing = missing_slots(state)
    if not missing:
        return "window"
    first = missing[0]
    if first == "phone" and state.caller_id and not state.caller_id_declined and not state.pending_phone_digits:
        return "phone_confirm"
    if first == "unit":
        return UNIT_EXPECT
    return first  # type: ignore[return-value]


def read_back_text(state: CallState, ctx: DialogueContext) -> str:
    return f"{scripts.read_back(state.slots, ctx)} {scripts.CONFIRM_QUESTION}"


def offer_question(offers: list[WindowOffer], ctx: DialogueContext) -> str:
    return scripts.offer_question(offers, ctx)


def _parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _offer_json(offer: WindowOffer, ctx: DialogueContext) -> dict[str, str]:
    return {
        "date": offer.date.isoformat(),
        "window": offer.window,
        "say": speak_window(offer, ctx.now, ctx.profile.timezone),
    }


@dataclass
class ToolRunner:
    """Runs the model's tool calls for one turn against `state` (mutated in place)."""

    state: CallState
    ctx: DialogueContext
    booking: BookingPort
    understanding: Understanding | None  # of the caller's latest words; None for non-speech turns
    confirmed_at_start: bool  # the agent's previous reply was a confirmation question (read-back)
    log: list[str] = field(default_factory=list)
    progress: bool = False  # some tool recorded or did something this turn

    async def run(self, name: str, raw_arguments: str) -> ToolOutcome:
        self.log.append(name)
        if name not in TOOL_NAMES:
            return _error(f"unknown tool {name!r}; available: {sorted(TOOL_NAMES)}")
        try:
            args = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError as error:
            return _error(f"arguments are not valid JSON ({error.msg}); call {name} again with a JSON object")
        if not isinstance(args, dict):
            return _error("arguments must be a JSON object")
        handler = getattr(self, f"_tool_{name}")
        try:
            outcome: ToolOutcome = await handler(args)
        except Exception as error:  # noqa: BLE001 - a tool failure is a result for the model
            return _error(f"{name} failed: {type(error).__name__}")
        if outcome.result.get("ok") or outcome.result.get("saved") or outcome.stop:
            self.progress = True
        return outcome

    @property
    def caller_said_yes(self) -> bool:
        u = self.understanding
        return bool(u and u.yes_no == "yes" and not u.correction)

    # ---- details ---------------------------------------------------------------------------

    async def _tool_update_caller_details(self, args: dict[str, Any]) -> ToolOutcome:
        s, sl, profile = self.state, self.state.slots, self.ctx.profile
        saved: list[str] = []
        errors: dict[str, str] = {}

        def text(key: str, limit: int) -> str | None:
            value = args.get(key)
            if value is None or value == "":
                return None
            if not isinstance(value, str) or len(value.strip()) > limit:
                errors[key] = "not a short text"
                return None
            return " ".join(value.split())

        if (name := text("name", 60)) is not None:
            if _NAME.match(name) and len(name.split()) <= 4:
                if name != sl.name:
                    sl.name = name.title() if name.islower() else name
                    saved.append("name")
            else:
                errors["name"] = "not a plausible name"
        phone_raw = args.get("phone")
        partial: str | None = None
        if isinstance(phone_raw, str | int) and str(phone_raw).strip():
            digits = re.sub(r"\D", "", str(phone_raw))
            e164 = to_e164(digits)
            if e164 is None and s.pending_phone_digits and not sl.phone:
                e164 = to_e164(s.pending_phone_digits + digits)  # the rest of a number said in parts
            if e164 is None and 3 <= len(digits) <= 9 and not sl.phone:
                s.pending_phone_digits = (s.pending_phone_digits + digits)[-9:]
                partial = s.pending_phone_digits
            elif e164 is None:
                errors["phone"] = "not a valid 10-digit number; ask again digit by digit"
            elif e164 != sl.phone:
                sl.phone = e164
                s.pending_phone_digits = ""
                saved.append("phone")
        elif args.get("use_caller_id") is True:
            if s.caller_id:
                if sl.phone != s.caller_id:
                    sl.phone = s.caller_id
                    saved.append("phone")
            else:
                errors["phone"] = "no caller ID on this call; ask for the number"
        elif args.get("use_caller_id") is False:
            s.caller_id_declined = True
        if (street := text("street", 80)) is not None:
            if _STREET.match(street):
                if street != sl.street:
                    sl.street = street
                    saved.append("street")
            else:
                errors["street"] = "needs a house number and street name"
        if (unit := text("unit", 20)) is not None:
            if unit != sl.unit:
                sl.unit = unit
                saved.append("unit")
            s.unit_asked = True
        if args.get("no_unit") is True:
            s.unit_asked = True
            saved.append("no_unit")
        if (zip_code := text("zip", 10)) is not None:
            if re.fullmatch(r"\d{5}", zip_code):
                if zip_code != sl.zip:
                    sl.zip = zip_code
                    saved.append("zip")
            else:
                errors["zip"] = "needs 5 digits"
        if (issue := text("issue", 200)) is not None:
            if issue != sl.issue:
                sl.issue = issue
                saved.append("issue")
        category = args.get("issue_category")
        if category is not None:
            if category in ISSUE_CATEGORIES:
                sl.issue_category = category
            else:
                errors["issue_category"] = f"one of {list(ISSUE_CATEGORIES)}"
        urgency = args.get("urgency")
        if urgency is not None:
            if urgency in ("urgent", "routine"):
                if sl.urgency is None or URGENCY_RANK[urgency] > URGENCY_RANK[sl.urgency]:
                    sl.urgency = urgency
                    saved.append("urgency")
            else:
                errors["urgency"] = "urgent or routine (emergencies: report_emergency)"
        window_changed = False
        if args.get("date") is not None or args.get("window") is not None:
            day, label = _parse_date(args.get("date")), args.get("window")
            offer = next((o for o in s.offered if o.date == day and o.window == label), None)
            if offer is None:
                errors["window"] = "not one of the open windows offered; offer only check_availability's windows"
            elif (sl.date, sl.window) != (offer.date, offer.window):
                sl.date, sl.window = offer.date, offer.window
                window_changed = True
                saved.append("window")

        if sl.zip and not profile.serves_zip(sl.zip):
            return self._out_of_area()
        if saved and s.phase in ("confirming", "choosing_window") and not window_changed:
            if s.phase == "confirming":
                s.phase = "choosing_window" if sl.date else "collecting"
        result: dict[str, Any] = {"ok": not errors, "saved": saved, "still_needed": missing_slots(s)}
        if errors:
            result["errors"] = errors
        if partial:
            result["partial_phone"] = partial
            result["note"] = "only part of the number so far: ask for the rest"
        if s.intent == "reschedule" and window_changed and s.target:
            return self._propose_reschedule()
        if not missing_slots(s) and sl.date and sl.window and (saved or s.phase != "confirming"):
            s.phase = "confirming"
            return ToolOutcome(
                result=result | {"read_back": "given by the system"},
                say=read_back_text(s, self.ctx),
                stop=True,
                expect="confirm",
            )
        return ToolOutcome(result=result)

    def _out_of_area(self) -> ToolOutcome:
        s = self.state
        assert s.slots.zip
        s.phase = "out_of_area"
        s.outcome = "out_of_area"
        s.last_question = "Would you like to leave a message?"
        return ToolOutcome(
            result={"ok": False, "error": "ZIP code outside the service area"},
            say=scripts.out_of_area(self.ctx.profile, s.slots.zip),
            stop=True,
            expect="yes_no",
        )

    # ---- availability and booking ---------------------------------------------------------

    async def _tool_check_availability(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        missing = missing_slots(s)
        if missing and s.intent != "reschedule":
            return _error("collect the caller's details first", still_needed=missing)
        urgent = s.slots.urgency in ("urgent", "emergency")
        part = args.get("part_of_day") if args.get("part_of_day") in ("morning", "afternoon") else None
        not_before = _parse_date(args.get("not_before"))
        windows = await self.booking.open_windows(
            limit=3,
            not_before=None if urgent else not_before,
            exclude_dates=list(s.declined_dates),
            part_of_day=None if urgent else part,
        )
        if s.intent == "reschedule" and s.target:
            windows = [w for w in windows if (w.date, w.window) != (s.target.date, s.target.window)]
        if not windows:
            s.phase = "offer_transfer"
            s.last_question = "Would you like me to connect you with our office?"
            return ToolOutcome(
                result={"ok": False, "error": "no open windows"},
                say="I'm sorry, I don't have any open arrival windows that fit. " + s.last_question,
                stop=True,
                expect="yes_no",
            )
        s.offered = windows
        s.phase = "reschedule_choose" if s.intent == "reschedule" else "choosing_window"
        result: dict[str, Any] = {"ok": True, "windows": [_offer_json(w, self.ctx) for w in windows]}
        if urgent:
            result["note"] = "urgent visit: offer the first window"
        return ToolOutcome(result=result)

    async def _tool_create_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s, sl = self.state, self.state.slots
        if s.appointment_id is not None and s.outcome == "booked":
            return _error("already booked on this call")
        missing = missing_slots(s)
        if missing or not (sl.date and sl.window):
            return _error("details incomplete", still_needed=missing + ([] if sl.date else ["window"]))
        if not any(o.date == sl.date and o.window == sl.window for o in s.offered):
            return _error("the window was not offered from check_availability")
        if not (self.confirmed_at_start and s.phase == "confirming"):
            return _error("the system must read the details back first; it will once all are recorded")
        if not self.caller_said_yes:
            return _error("the caller has not said an explicit yes to the read-back; ask them to confirm")
        return await self.book_now()

    async def book_now(self) -> ToolOutcome:
        """Book from the state (the guards above have passed)."""
        s, sl = self.state, self.state.slots
        result = await self.booking.book(self.state.booking_request())
        if result.ok:
            s.phase, s.outcome, s.appointment_id = "booked", "booked", result.appointment_id
            date, window = result.date or sl.date, result.window or sl.window
            assert date and window and sl.phone
            when = speak_window(WindowOffer(date=date, window=window), self.ctx.now, self.ctx.profile.timezone)
            say = (
                f"You're all set. A technician will arrive {when}, and will call {speak_phone(sl.phone)} "
                f"when they're on the way. {scripts.goodbye(self.ctx.profile)}"
            )
            return ToolOutcome(
                result={"ok": True, "appointment_id": result.appointment_id},
                say=say,
                stop=True,
                action="hangup",
                booked=True,
            )
        if result.reason in ("window_full", "invalid_window"):
            # Lost the race for the last place: the code re-reads capacity and offers what is open,
            # so the caller is never told a stale window is available.
            lost = (sl.date, sl.window)
            sl.date, sl.window = None, None
            s.phase = "collecting"
            again = await self._tool_check_availability({})
            if again.stop:
                return again  # nothing open at all: a person was offered
            s.offered = [o for o in s.offered if (o.date, o.window) != lost]
            if not s.offered:
                s.phase = "offer_transfer"
                s.last_question = "Would you like me to connect you with our office?"
                return ToolOutcome(
                    result={"ok": False, "error": "that window was just taken and no other is open"},
                    say=f"I'm sorry, that window was just taken, and I have no other opening. {s.last_question}",
                    stop=True,
                    expect="yes_no",
                )
            s.last_question = offer_question(s.offered, self.ctx)
            return ToolOutcome(
                result={
                    "ok": False,
                    "error": "that window was just taken; other windows were offered",
                    "windows": [_offer_json(w, self.ctx) for w in s.offered],
                },
                say=f"I'm sorry, that window was just taken. {s.last_question}",
                stop=True,
                expect="window",
            )
        return self.transfer("fallback", {"ok": False, "error": "booking system unavailable"})

    # ---- existing appointments -------------------------------------------------------------

    async def _find(self, phone_arg: Any) -> ToolOutcome | None:
        """Look up the caller's appointment into `state.target`; an outcome when that ends the turn."""
        s = self.state
        phone = to_e164(re.sub(r"\D", "", str(phone_arg))) if phone_arg else None
        phone = phone or s.slots.phone or s.caller_id
        if phone is None:
            s.phase = "cancel_lookup"
            return _error("no number to look up: ask what number the appointment was booked under")
        found = [a for a in await self.booking.find_by_phone(phone) if a.status == "booked"]
        s.slots.phone = phone
        if not found:
            return _error("no upcoming appointment under that number")
        s.existing, s.target = found, found[0]
        return None

    async def _tool_cancel_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        s.intent = "cancel"
        if s.phase == "cancel_confirm" and s.target:
            if not (self.confirmed_at_start and self.caller_said_yes):
                return _error("the caller has not said yes to cancelling")
            result = await self.booking.cancel(s.target.id, call_sid=s.call_sid)
            if not result.ok:
                return self.transfer("fallback", {"ok": False, "error": f"cancel failed: {result.reason}"})
            s.outcome, s.appointment_id, s.phase = "cancelled", s.target.id, "done"
            return ToolOutcome(
                result={"ok": True},
                stop=True,
                action="hangup",
                say=f"Your appointment has been cancelled. {scripts.goodbye(self.ctx.profile)}",
            )
        failed = await self._find(args.get("phone"))
        if failed is not None:
            return failed
        assert s.target
        s.phase = "cancel_confirm"
        s.last_question = "Would you like me to cancel it?"
        return ToolOutcome(
            result={"ok": True, "found": True, "confirmation": "asked by the system"},
            say=f"{scripts.found_appointment(s.target, self.ctx)} {s.last_question}",
            stop=True,
            expect="confirm",
        )

    async def _tool_reschedule_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        s.intent = "reschedule"
        if s.phase == "reschedule_confirm" and s.target and s.slots.date and s.slots.window:
            if not (self.confirmed_at_start and self.caller_said_yes):
                return _error("the caller has not said yes to the new time")
            result = await self.booking.reschedule(
                s.target.id, date=s.slots.date, window=s.slots.window, call_sid=s.call_sid
            )
            if result.ok:
                s.outcome, s.appointment_id, s.phase = "rescheduled", s.target.id, "done"
                when = speak_window(
                    WindowOffer(date=s.slots.date, window=s.slots.window), self.ctx.now, self.ctx.profile.timezone
                )
                return ToolOutcome(
                    result={"ok": True},
                    stop=True,
                    action="hangup",
                    say=f"Done. Your appointment is now {when}. {scripts.goodbye(self.ctx.profile)}",
                )
            if result.reason in ("window_full", "invalid_window"):
                s.slots.date, s.slots.window, s.phase = None, None, "reschedule_choose"
                return _error("that window was just taken: call check_availability again")
            return self.transfer("fallback", {"ok": False, "error": "reschedule failed"})
        if args.get("date") or args.get("window"):
            if s.target is None:
                return _error("find the appointment first: call reschedule_booking without a window")
            return await self._tool_update_caller_details({"date": args.get("date"), "window": args.get("window")})
        found_now = s.target is None
        if found_now:
            failed = await self._find(args.get("phone"))
            if failed is not None:
                return failed
        assert s.target
        offers = await self._tool_check_availability({})
        if offers.stop or not found_now:
            return offers
        s.last_question = offer_question(s.offered, self.ctx)
        return ToolOutcome(
            result=offers.result,
            stop=True,
            expect="window",
            say=f"{scripts.found_appointment(s.target, self.ctx)} {s.last_question}",
        )

    def _propose_reschedule(self) -> ToolOutcome:
        s = self.state
        assert s.slots.date and s.slots.window
        s.phase = "reschedule_confirm"
        when = speak_window(
            WindowOffer(date=s.slots.date, window=s.slots.window), self.ctx.now, self.ctx.profile.timezone
        )
        s.last_question = f"I'll move your appointment to {when}. Shall I go ahead?"
        return ToolOutcome(
            result={"ok": True, "confirmation": "asked by the system"}, say=s.last_question, stop=True, expect="confirm"
        )

    # ---- hand-offs -------------------------------------------------------------------------

    def transfer(self, reason: Literal["requested", "frustration", "fallback"], result: dict[str, Any]) -> ToolOutcome:
        s = self.state
        if s.outcome in ("in_progress", "out_of_area"):
            s.outcome = "transferred"
        s.phase = "done"
        return ToolOutcome(
            result=result,
            say=scripts.transfer(reason),
            stop=True,
            action="transfer",
            transfer_to=self.ctx.profile.transfer_number,
            transfer_reason=reason,
        )

    async def _tool_transfer_to_human(self, args: dict[str, Any]) -> ToolOutcome:
        reason = args.get("reason")
        if reason not in ("frustration", "fallback"):
            reason = "requested"
        return self.transfer(cast(Literal["requested", "frustration", "fallback"], reason), {"ok": True})

    async def _tool_report_emergency(self, args: dict[str, Any]) -> ToolOutcome:
        kind = args.get("kind")
        if kind not in EMERGENCY_KINDS:
            return _error(f"kind must be one of {list(EMERGENCY_KINDS)}")
        return emergency_outcome(self.state, kind, self.ctx)


def emergency_outcome(state: CallState, kind: EmergencyKind, ctx: DialogueContext) -> ToolOutcome:
    """The contract's safety script, then the on-call line: the same words as the rules agent."""
    state.emergency, state.phase, state.outcome = kind, "emergency", "emergency"
    state.slots.urgency = "emergency"
    return ToolOutcome(
        result={"ok": True},
        say=scripts.emergency(ctx.profile, kind),
        stop=True,
        action="transfer",
        transfer_to=ctx.profile.oncall_number,
        transfer_reason="emergency",
    )
