"""The LLM agent's tools: the model's arguments validated, then the same policy as the rules agent.

Every tool checks its arguments and the call state before anything happens; a refusal or failure
goes back to the model as a tool result (`{"ok": false, "error": ...}`), never as an exception.
What follows a valid call is `policy.py`'s, exactly as for the rules agent: the read-back, the
booking and its confirmation, a lost window, cancel and reschedule results, the safety script, the
out-of-area notice. Words that carry a guarantee are the policy's (`scripts`), not the model's,
and end the model's turn (`ToolOutcome.reply`).

The state is the rules agent's (phase, asked, slots, offered, target), so the degradation ladder
can hand the call to the rules agent at any turn without a question asked twice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

from hvac_agent.dialogue import policy
from hvac_agent.dialogue.agent import carry_out
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.nlu.phone import to_e164
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.scripts import spoken_window
from hvac_agent.dialogue.state import (
    AppointmentsFound,
    BookingResult,
    CallState,
    ChangeResult,
    ConfirmKind,
    EmergencyKind,
    IssueCategory,
    Reply,
    Result,
    WindowOffer,
)
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.dialogue.llm_tools")
ISSUE_CATEGORIES: tuple[str, ...] = get_args(IssueCategory)
EMERGENCY_KINDS: tuple[str, ...] = get_args(EmergencyKind)
LOST_WINDOW = ("window_full", "invalid_window")
# The tool that acts on the caller's yes, for each thing a yes can agree to.
TOOL_FOR_YES: dict[ConfirmKind, str] = {
    "book": "create_booking",
    "cancel": "cancel_booking",
    "reschedule": "reschedule_booking",
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{0,58}[A-Za-z.]$")
_STREET = re.compile(r"^\d{1,6}[A-Za-z]?\s+\S.{1,70}$")
_R = TypeVar("_R", BookingResult, ChangeResult, AppointmentsFound)


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
            "previous_details": {
                "type": "boolean",
                "description": "returning caller: true = the visit is for the same name and address as "
                "last time, false = somewhere else",
            },
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
    """What one tool call did: the JSON result for the model and, when the policy spoke, its reply
    (code-authored words and action), which ends the model's turn."""

    result: dict[str, Any]
    reply: Reply | None = None

    @property
    def stop(self) -> bool:
        return self.reply is not None

    @property
    def say(self) -> str:
        return self.reply.say if self.reply else ""

    @property
    def action(self) -> Literal["listen", "transfer", "hangup"]:
        return self.reply.action if self.reply else "listen"

    def to_message(self) -> str:
        return json.dumps(self.result, default=str)


def _error(message: str, **extra: Any) -> ToolOutcome:
    return ToolOutcome(result={"ok": False, "error": message, **extra})


def _parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _offer_json(offer: WindowOffer, ctx: DialogueContext) -> dict[str, str]:
    return {"date": offer.date.isoformat(), "window": offer.window, "say": spoken_window(offer, ctx)}


def _first(results: list[Result], kind: type[_R]) -> _R:
    return next(r for r in results if isinstance(r, kind))


def _short_text(args: dict[str, Any], key: str, limit: int, errors: dict[str, str]) -> str | None:
    value = args.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        errors[key] = "not a short text"
        return None
    return " ".join(value.split())


def validated_details(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The plain details the model passed, checked one by one: (values to record, errors by field).
    Phone numbers and windows need the call state and are checked by the runner."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if (name := _short_text(args, "name", 60, errors)) is not None:
        if _NAME.match(name) and len(name.split()) <= 4:
            values["name"] = name.title() if name.islower() else name
        else:
            errors["name"] = "not a plausible name"
    if (street := _short_text(args, "street", 80, errors)) is not None:
        if _STREET.match(street):
            values["street"] = street
        else:
            errors["street"] = "needs a house number and street name"
    if (unit := _short_text(args, "unit", 20, errors)) is not None:
        values["unit"] = unit
    if (zip_code := _short_text(args, "zip", 10, errors)) is not None:
        if re.fullmatch(r"\d{5}", zip_code):
            values["zip"] = zip_code
        else:
            errors["zip"] = "needs 5 digits"
    if (issue := _short_text(args, "issue", 200, errors)) is not None:
        values["issue"] = issue
    if (category := args.get("issue_category")) is not None:
        if category in ISSUE_CATEGORIES:
            values["issue_category"] = category
        else:
            errors["issue_category"] = f"one of {list(ISSUE_CATEGORIES)}"
    if (urgency := args.get("urgency")) is not None:
        if urgency in ("urgent", "routine"):
            values["urgency"] = urgency
        else:
            errors["urgency"] = "urgent or routine (emergencies: report_emergency)"
    return values, errors


@dataclass
class ToolRunner:
    """Runs the model's tool calls for one turn against `state` (the turn's working copy)."""

    state: CallState
    ctx: DialogueContext
    booking: BookingPort
    understanding: Understanding | None  # of the caller's latest words; None for non-speech turns
    # What the caller's yes this turn may agree to: the confirmation pending when the turn began,
    # until a detail it covered changes.
    awaiting: ConfirmKind | None = None
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
        except Exception as error:  # a tool failure is a result for the model, and a logged bug
            log.exception("llm_tool_failed", call_sid=self.state.call_sid, tool=name)
            return _error(f"{name} failed: {type(error).__name__}")
        if outcome.result.get("ok") or outcome.result.get("saved") or outcome.stop:
            self.progress = True
        return outcome

    @property
    def caller_said_yes(self) -> bool:
        u = self.understanding
        return bool(u and u.yes_no == "yes" and not u.correction)

    def _may_act(self, kind: ConfirmKind) -> bool:
        """The caller's yes answers the confirmation of `kind` they heard, unchanged since."""
        return self.awaiting == kind == self.state.awaiting_yes

    async def _agreed(self) -> tuple[Reply, list[Result]]:
        agreed = policy.agree(self.state, self.ctx)
        assert agreed is not None, "guarded by _may_act"
        return await carry_out(self.state, agreed, self.ctx, self.booking)

    def _windows_json(self) -> dict[str, Any]:
        s = self.state
        if s.phase == "offer_transfer":
            return {"ok": False, "error": "no open windows"}
        result: dict[str, Any] = {"ok": True, "windows": [_offer_json(w, self.ctx) for w in s.offered]}
        if s.awaiting_yes == "book":
            chosen = "urgent visit: the earliest window" if policy.is_urgent(s) else "the window asked for"
            result["note"] = f"{chosen} was chosen and read back by the system"
        return result

    def _lost_json(self) -> dict[str, Any]:
        after = self._windows_json()
        if not after["ok"]:
            return {"ok": False, "error": "that window was just taken and no other is open"}
        return after | {"ok": False, "error": "that window was just taken; other windows were offered"}

    async def _windows(self, reply: Reply) -> ToolOutcome:
        """Load windows through the policy. A plain offer is the model's to word; anything else
        (no window open, the urgent earliest window read back) is said by code."""
        reply, _ = await carry_out(self.state, reply, self.ctx, self.booking)
        if self.state.phase in policy.CHOOSING_PHASES:
            return ToolOutcome(self._windows_json())
        return ToolOutcome(self._windows_json(), reply)

    # ---- details ---------------------------------------------------------------------------

    async def _tool_update_caller_details(self, args: dict[str, Any]) -> ToolOutcome:
        s, sl = self.state, self.state.slots
        values, errors = validated_details(args)
        saved = self._record(values)
        partial = self._take_phone(args, errors, saved)
        if args.get("no_unit") is True:
            s.unit_asked = True
            saved.append("no_unit")
        if isinstance(args.get("previous_details"), bool) and s.past and not s.returning_answered:
            before = sl.model_copy()
            policy.answer_returning(s, args["previous_details"])
            saved += [k for k in ("name", "phone", "street", "zip") if getattr(sl, k) != getattr(before, k)]
        chosen = self._take_window(args, errors)
        if chosen is not None:
            saved.append("window")
        if saved and s.awaiting_yes:  # what the caller would say yes to has changed: read it again
            s.awaiting_yes = self.awaiting = None
        if (outside := policy.area_check(s, self.ctx)) is not None:
            return ToolOutcome({"ok": False, "error": "ZIP code outside the service area"}, outside)
        missing = policy.missing_slots(s)
        result: dict[str, Any] = {"ok": not errors, "saved": saved, "still_needed": missing}
        if errors:
            result["errors"] = errors
        if partial:
            result |= {"partial_phone": partial, "note": "only part of the number so far: ask for the rest"}
        if s.intent == "reschedule" and chosen is not None and s.target is not None:
            proposed = policy.choose_window(s, chosen, self.ctx)
            return ToolOutcome(result | {"confirmation": "asked by the system"}, proposed)
        if chosen is not None:
            sl.date, sl.window = chosen.date, chosen.window
        if s.intent == "book" and s.phase == "collecting" and policy.next_slot(s) == "returning":
            # The earlier details are offered in the code's words, like a read-back.
            return ToolOutcome(result | {"question": "asked by the system"}, policy.next_question(s, self.ctx))
        if s.intent == "book" and not missing and sl.date and sl.window and (saved or s.phase != "confirming"):
            held, _ = await carry_out(s, policy.hold_and_read_back(s, self.ctx), self.ctx, self.booking)
            if s.phase != "confirming":  # the window was taken since it was offered: others are offered
                return ToolOutcome(self._lost_json(), held)
            return ToolOutcome(result | {"read_back": "given by the system"}, held)
        return ToolOutcome(result)

    def _record(self, values: dict[str, Any]) -> list[str]:
        s, sl = self.state, self.state.slots
        saved: list[str] = []
        for key in ("name", "street", "zip", "issue"):
            if key in values and values[key] != getattr(sl, key):
                setattr(sl, key, values[key])
                saved.append(key)
        if "unit" in values and policy.set_unit(s, values["unit"]):
            saved.append("unit")
        if "issue_category" in values:
            sl.issue_category = values["issue_category"]
        if "urgency" in values and policy.raise_urgency(s, values["urgency"]):
            saved.append("urgency")
        return saved

    def _take_phone(self, args: dict[str, Any], errors: dict[str, str], saved: list[str]) -> str | None:
        """Record the callback number; returns the digits so far when only part of it was given."""
        s = self.state
        raw = args.get("phone")
        if isinstance(raw, str | int) and str(raw).strip():
            digits = re.sub(r"\D", "", str(raw))
            e164 = to_e164(digits)
            if e164 is None and s.pending_phone_digits and not s.slots.phone:
                e164 = to_e164(s.pending_phone_digits + digits)  # the rest of a number said in parts
            if e164 is not None:
                saved.extend(["phone"] if policy.set_phone(s, e164) else [])
            elif 3 <= len(digits) <= 9 and not s.slots.phone:
                s.pending_phone_digits = (s.pending_phone_digits + digits)[-9:]
                return s.pending_phone_digits
            else:
                errors["phone"] = "not a valid 10-digit number; ask again digit by digit"
        elif args.get("use_caller_id") is True:
            if s.caller_id:
                saved.extend(["phone"] if policy.set_phone(s, s.caller_id) else [])
            else:
                errors["phone"] = "no caller ID on this call; ask for the number"
        elif args.get("use_caller_id") is False:
            s.caller_id_declined = True
        return None

    def _take_window(self, args: dict[str, Any], errors: dict[str, str]) -> WindowOffer | None:
        """The offered window the model recorded, when it is a new choice."""
        if args.get("date") is None and args.get("window") is None:
            return None
        day, label, sl = _parse_date(args.get("date")), args.get("window"), self.state.slots
        offer = next((o for o in self.state.offered if o.date == day and o.window == label), None)
        if offer is None:
            errors["window"] = "not one of the open windows offered; offer only check_availability's windows"
            return None
        return None if (sl.date, sl.window) == (offer.date, offer.window) else offer

    # ---- availability and booking ---------------------------------------------------------

    async def _tool_check_availability(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        missing = policy.missing_slots(s)
        if missing and s.intent != "reschedule":
            return _error("collect the caller's details first", still_needed=missing)
        part = args.get("part_of_day")
        return await self._windows(
            policy.load_windows(
                s,
                not_before=_parse_date(args.get("not_before")),
                part_of_day="morning" if part == "morning" else "afternoon" if part == "afternoon" else None,
            )
        )

    async def _tool_create_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s, sl = self.state, self.state.slots
        if s.outcome == "booked":
            return _error("already booked on this call")
        missing = policy.missing_slots(s)
        if missing or not (sl.date and sl.window):
            return _error("details incomplete", still_needed=missing + ([] if sl.date else ["window"]))
        if not any(o.date == sl.date and o.window == sl.window for o in s.offered):
            return _error("the window was not offered from check_availability")
        if not self._may_act("book"):
            return _error("the system must read the details back first; it will once all are recorded")
        if not self.caller_said_yes:
            return _error("the caller has not said an explicit yes to the read-back; ask them to confirm")
        reply, results = await self._agreed()
        booked = _first(results, BookingResult)
        if booked.ok:
            return ToolOutcome({"ok": True, "appointment_id": booked.appointment_id}, reply)
        if booked.reason in LOST_WINDOW:
            return ToolOutcome(self._lost_json(), reply)
        return ToolOutcome({"ok": False, "error": "booking system unavailable"}, reply)

    # ---- existing appointments -------------------------------------------------------------

    async def _look_up(self, intent: Literal["cancel", "reschedule"], phone_arg: Any) -> ToolOutcome:
        """Find the caller's appointment (under the number given, or theirs) through the policy."""
        s = self.state
        phone = to_e164(re.sub(r"\D", "", str(phone_arg))) if phone_arg else None
        reply, results = await carry_out(s, policy.start_change(s, intent, phone), self.ctx, self.booking)
        if not results:
            asked = "no number to look up: ask what number the appointment was booked under"
            return ToolOutcome({"ok": False, "error": asked}, reply)
        found = _first(results, AppointmentsFound)
        if s.phase == "verifying":
            # Another number than the caller's: nothing about it (not even whether it has bookings)
            # reaches the model; the system asks for the second factor and checks it in code.
            return ToolOutcome({"ok": False, "verification": "asked by the system"}, reply)
        if not any(a.status == "booked" for a in found.appointments):
            return ToolOutcome({"ok": False, "error": "no upcoming appointment under the caller's own number"}, reply)
        if intent == "cancel":
            return ToolOutcome({"ok": True, "found": True, "confirmation": "asked by the system"}, reply)
        return ToolOutcome({"found": True} | self._windows_json(), reply)

    async def _tool_cancel_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        if s.phase != "cancel_confirm" or s.target is None:
            return await self._look_up("cancel", args.get("phone"))
        if not (self._may_act("cancel") and self.caller_said_yes):
            return _error("the caller has not said yes to cancelling")
        reply, results = await self._agreed()
        done = _first(results, ChangeResult)
        return ToolOutcome({"ok": True} if done.ok else {"ok": False, "error": f"cancel failed: {done.reason}"}, reply)

    async def _tool_reschedule_booking(self, args: dict[str, Any]) -> ToolOutcome:
        s = self.state
        if s.phase == "reschedule_confirm" and s.target and s.slots.date and s.slots.window:
            if not (self._may_act("reschedule") and self.caller_said_yes):
                return _error("the caller has not said yes to the new time")
            reply, results = await self._agreed()
            done = _first(results, ChangeResult)
            if done.ok:
                return ToolOutcome({"ok": True}, reply)
            if done.reason in LOST_WINDOW:
                return ToolOutcome(self._lost_json(), reply)
            return ToolOutcome({"ok": False, "error": "reschedule failed"}, reply)
        if args.get("date") or args.get("window"):
            if s.target is None:
                return _error("find the appointment first: call reschedule_booking without a window")
            return await self._tool_update_caller_details({"date": args.get("date"), "window": args.get("window")})
        if s.target is None:
            return await self._look_up("reschedule", args.get("phone"))
        s.intent = "reschedule"
        return await self._windows(policy.load_windows(s))

    # ---- hand-offs -------------------------------------------------------------------------

    async def _tool_transfer_to_human(self, args: dict[str, Any]) -> ToolOutcome:
        reason = args.get("reason")
        chosen: Literal["requested", "frustration", "fallback"] = (
            reason if reason in ("frustration", "fallback") else "requested"
        )
        return ToolOutcome({"ok": True}, policy.transfer(self.state, self.ctx, chosen))

    async def _tool_report_emergency(self, args: dict[str, Any]) -> ToolOutcome:
        kind = args.get("kind")
        if kind not in EMERGENCY_KINDS:
            return _error(f"kind must be one of {list(EMERGENCY_KINDS)}")
        return ToolOutcome({"ok": True}, policy.emergency(self.state, kind, self.ctx))
