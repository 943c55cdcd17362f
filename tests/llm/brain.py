"""A fake "model" competent enough for whole scripted calls: it reads the request the way a model
would (system prompt, state summary, last message) and decides tool calls with the rules NLU.

It exists so any caller script — including the foundation's end-to-end scenarios — can run with
the LLM agent through real HTTP. It is a test double for the model's judgement, not a second
agent: it sees only what a real model sees in the request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.nlu import understand
from hvac_agent.dialogue.nlu.types import NluContext, Understanding
from hvac_agent.dialogue.state import Expect, WindowOffer
from tests.fakes.fake_openai import FakeResponse, FakeToolCall

QUESTION: dict[str, str] = {
    "issue": scripts.QUESTIONS["issue"],
    "name": scripts.QUESTIONS["name"],
    "phone": scripts.QUESTIONS["phone"],
    "phone_confirm": "Is the number you're calling from the best one to reach you?",
    "address": scripts.QUESTIONS["address"],
    "zip": scripts.QUESTIONS["zip"],
    "unit": scripts.QUESTIONS["unit"],
    "urgency": scripts.QUESTIONS["urgency"],
    "window": "Which of those windows works best for you?",
    "confirm": "Shall I go ahead?",
}


TIME_WORDS = {"time", "window", "day", "date", "morning", "afternoon", "when", "earlier", "later"}


class Summary:
    """The facts in the agent's state-summary message."""

    def __init__(self, system: str, summary: str) -> None:
        fields = dict(line.split(": ", 1) for line in summary.splitlines() if ": " in line)
        needed = fields.get("still needed", "nothing")
        self.needed = [] if needed == "nothing" else [n.strip() for n in needed.split(",")]
        self.phase = fields.get("phase", "collecting").split(";")[0]
        self.caller_id = re.sub(r" \(.*", "", fields["caller ID"]) if "caller ID" in fields else None
        recorded = fields.get("recorded", "")
        phone = re.search(r"phone=(\+\d+)", recorded)
        self.phone = phone.group(1) if phone else None
        self.offered = [
            WindowOffer(date=dt.date.fromisoformat(d), window=w)
            for d, w in re.findall(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d-\d\d:\d\d)", fields.get("windows offered", ""))
        ]
        self.next = fields.get("next", "")
        today = re.search(r"Today is \w+ (\d{4}-\d\d-\d\d) \(([^)]+)\)", system)
        assert today, "system prompt names today's date"
        self.timezone = today.group(2)
        self.now = dt.datetime.combine(
            dt.date.fromisoformat(today.group(1)), dt.time(9), tzinfo=ZoneInfo(self.timezone)
        )

    @property
    def expect(self) -> Expect:
        if self.next.startswith("ask whether the visit is for"):
            return "returning"
        if self.phase in ("confirming", "cancel_confirm", "reschedule_confirm"):
            return "confirm"
        if self.phase in ("choosing_window", "reschedule_choose"):
            return "window"
        if not self.needed:
            return "window"
        first = self.needed[0]
        if first == "phone" and self.caller_id:
            return "phone_confirm"
        return first  # type: ignore[return-value]


def _call(tool_name: str, /, **args: Any) -> FakeToolCall:
    return FakeToolCall(tool_name, args)


def _details(u: Understanding, info: Summary, expect: Expect) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key in ("name", "phone", "street", "unit", "zip", "issue", "issue_category"):
        if getattr(u, key):
            args[key] = getattr(u, key)
    if u.phone_digits and not u.phone and info.expect in ("phone", "phone_confirm"):
        args["phone"] = u.phone_digits  # part of a number: the tool keeps it until the rest comes
    if u.urgency == "urgent":
        args["urgency"] = "urgent"
    if expect == "phone_confirm" and not u.phone:
        if u.yes_no == "yes" or u.use_caller_id:
            args["use_caller_id"] = True
        elif u.yes_no == "no":
            args["use_caller_id"] = False
    if expect == "returning" and u.yes_no:
        args["previous_details"] = u.yes_no == "yes"
    if expect == "unit" and (u.no_unit or u.yes_no == "no"):
        args["no_unit"] = True
    if expect == "urgency" and u.yes_no:
        args["urgency"] = "urgent" if u.yes_no == "yes" else "routine"
    return args


def _choice(u: Understanding, info: Summary) -> WindowOffer | None:
    w = u.window
    if not info.offered:
        return None
    if w and w.offer_index is not None and 0 <= w.offer_index < len(info.offered):
        return info.offered[w.offer_index]
    if w and (w.date or w.part_of_day):
        for offer in info.offered:
            part = "morning" if offer.window < "12:00" else "afternoon"
            if (w.date in (None, offer.date)) and (w.part_of_day in (None, part)):
                return offer
    if (w and w.earliest) or (u.yes_no == "yes" and len(info.offered) == 1):
        return info.offered[0]
    return None


def _after_tool(body: dict[str, Any], info: Summary) -> FakeResponse:
    result = json.loads(body["messages"][-1]["content"])
    if result.get("windows"):
        windows = result["windows"]
        if result.get("note", "").startswith("urgent"):
            first = windows[0]
            return FakeResponse(tool_calls=[_call("update_caller_details", date=first["date"], window=first["window"])])
        spoken = ", or ".join(w["say"] for w in windows)
        return FakeResponse(text=f"I have {spoken}. Which works best for you?")
    if result.get("partial_phone"):
        return FakeResponse(text="Go ahead with the rest of the number.")
    needed = result.get("still_needed", info.needed)
    if result.get("ok") and not needed and info.phase == "collecting":
        return FakeResponse(tool_calls=[_call("check_availability")])
    lead = "" if result.get("ok", True) else "Sorry, I didn't quite get that. "
    if info.expect == "returning":
        return FakeResponse(text=lead + "Is this for the same address as last time?")
    if needed:
        first = needed[0]
        key = "phone_confirm" if first == "phone" and info.caller_id else first
        return FakeResponse(text=lead + QUESTION.get(key, QUESTION["issue"]))
    return FakeResponse(text=lead + QUESTION.get(info.expect, "How can I help you?"))


def nlu_brain(body: dict[str, Any]) -> FakeResponse:
    """The fake server's handler: one OpenAI request in, one model answer out."""
    messages = body["messages"]
    if not body.get("tools"):
        return FakeResponse(text="unknown")  # intent classification: leave it to the main turn
    info = Summary(messages[0]["content"], messages[1]["content"])
    last = messages[-1]
    if last["role"] == "tool":
        return _after_tool(body, info)
    expect = info.expect
    before = messages[-2] if len(messages) > 2 else {}
    if before.get("role") == "assistant" and str(before.get("content") or "").rstrip().endswith("again?"):
        expect = "returning"  # the caller answers the returning-caller question the agent just asked
    u = understand(
        last["content"],
        NluContext(
            expect=expect,
            now=info.now,
            timezone=info.timezone,
            caller_id=info.caller_id,
            offered=info.offered,
            current_phone=info.phone,
        ),
    )
    calls: list[FakeToolCall] = []
    if u.intent in ("cancel", "reschedule") and info.phase == "collecting":
        name = "cancel_booking" if u.intent == "cancel" else "reschedule_booking"
        calls.append(_call(name, **({"phone": u.phone} if u.phone else {})))
        return FakeResponse(tool_calls=calls)
    details = _details(u, info, expect)
    if info.phase in ("choosing_window", "reschedule_choose"):
        offer = _choice(u, info)
        if offer is not None:
            details.update(date=offer.date.isoformat(), window=offer.window)
    if details:
        calls.append(_call("update_caller_details", **details))
    if expect == "confirm" and u.yes_no == "yes" and not u.correction and not details:
        calls.append(
            _call(
                {
                    "confirming": "create_booking",
                    "cancel_confirm": "cancel_booking",
                    "reschedule_confirm": "reschedule_booking",
                }[info.phase]
            )
        )
    if calls:
        return FakeResponse(text="Thanks. " if details and len(calls) == 1 else "", tool_calls=calls)
    if expect == "confirm" and TIME_WORDS & set(re.findall(r"[a-z]+", u.text.lower())):
        return FakeResponse(text="Let me check what else is open.", tool_calls=[_call("check_availability")])
    if expect == "confirm" and u.yes_no == "no":
        return FakeResponse(text="No problem. What would you like to change?")
    return FakeResponse(text="Sorry, I didn't catch that. " + QUESTION.get(expect, QUESTION["issue"]))
