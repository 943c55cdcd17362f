"""Agents: one caller event in, new state and a spoken reply out, with effects carried out.

`RulesAgent` runs the rules and performs the effects they ask for through the `BookingPort`,
feeding each result to the shared policy (`carry_out`, which the LLM agent's tools use too). The
LLM agent and the degradation ladder implement the same protocol, so the telephony edges never
know which one answered.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from hvac_agent.dialogue import policy, rules
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.state import (
    AppointmentsFound,
    Book,
    BookingResult,
    CallerForgotten,
    CallState,
    CancelAppointment,
    ChangeResult,
    Effect,
    Event,
    FindAppointments,
    ForgetCaller,
    HistoryLoaded,
    HoldWindow,
    LoadHistory,
    LoadWindows,
    Reply,
    RescheduleAppointment,
    Result,
    WindowHeld,
    WindowsLoaded,
)
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.dialogue.agent")
MAX_EFFECTS_PER_TURN = 6  # a turn never loops on effects (e.g. a window lost twice in a row)
# The greeting never waits long on a slow database for a nicety: past the budget the caller is
# greeted as a new caller.
HISTORY_BUDGET_S = 1.5


class Agent(Protocol):
    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> tuple[CallState, Reply]:
        """Handle one event; the returned Reply carries no effect (it has been carried out)."""
        ...


async def perform(effect: Effect, booking: BookingPort) -> Result:
    """Carry out one effect and return its result as an event. Failures become failed results."""
    try:
        if isinstance(effect, LoadWindows):
            windows = await booking.open_windows(
                limit=effect.limit,
                not_before=effect.not_before,
                exclude_dates=effect.exclude_dates,
                part_of_day=effect.part_of_day,
                hold_for=effect.hold_for,
                job_type=effect.job_type,
            )
            return WindowsLoaded(windows=windows, lost=effect.lost)
        if isinstance(effect, HoldWindow):
            held = await booking.hold_window(effect.call_sid, effect.date, effect.window, job_type=effect.job_type)
            return WindowHeld(ok=held, date=effect.date, window=effect.window)
        if isinstance(effect, Book):
            return await booking.book(effect.request)
        if isinstance(effect, FindAppointments):
            return AppointmentsFound(appointments=await booking.find_by_phone(effect.phone))
        if isinstance(effect, CancelAppointment):
            return await booking.cancel(effect.appointment_id, call_sid=effect.call_sid)
        if isinstance(effect, RescheduleAppointment):
            return await booking.reschedule(
                effect.appointment_id, date=effect.date, window=effect.window, call_sid=effect.call_sid
            )
        if isinstance(effect, LoadHistory):
            return HistoryLoaded(visits=await asyncio.wait_for(booking.past_visits(effect.phone), HISTORY_BUDGET_S))
        if isinstance(effect, ForgetCaller):
            return CallerForgotten(ok=await booking.forget_caller(effect.phone))
    except Exception:  # the caller gets a polite route, never a crash; the failure is logged
        log.exception("effect_failed", effect=effect.kind)
        if isinstance(effect, Book):
            return BookingResult(ok=False, reason="error")
        if isinstance(effect, (CancelAppointment, RescheduleAppointment)):
            return ChangeResult(ok=False, reason="error")
        if isinstance(effect, LoadWindows):
            return WindowsLoaded(windows=[], lost=effect.lost)
        if isinstance(effect, HoldWindow):
            # The hold is a promise kept best-effort: without the database the read-back goes on
            # and the booking itself decides (a lost window is then offered again).
            return WindowHeld(ok=True, date=effect.date, window=effect.window)
        if isinstance(effect, LoadHistory):  # a stranger's greeting, never a failed call
            return HistoryLoaded(visits=[])
        if isinstance(effect, ForgetCaller):
            return CallerForgotten(ok=False)
        return AppointmentsFound(appointments=[])
    raise TypeError(f"unknown effect {effect!r}")


async def carry_out(
    s: CallState, reply: Reply, ctx: DialogueContext, booking: BookingPort
) -> tuple[Reply, list[Result]]:
    """Carry out the effect a reply asks for and give its result to the policy, until a reply
    that only speaks and acts; `s` moves in place. Returns that reply (with everything said on the
    way) and the results seen."""
    spoken: list[str] = []
    results: list[Result] = []
    for _ in range(MAX_EFFECTS_PER_TURN):
        if reply.effect is None:
            break
        spoken.append(reply.say)
        result = await perform(reply.effect, booking)
        results.append(result)
        reply = policy.on_result(s, result, ctx)
    else:
        reply = policy.on_result(s, BookingResult(ok=False, reason="error"), ctx)
    if spoken:
        reply = reply.model_copy(update={"say": policy.join(*spoken, reply.say)})
    return reply, results


async def run_step(
    state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
) -> tuple[CallState, Reply]:
    """The rules' reply to one event, with every effect it asks for carried out."""
    # A deep copy to move in place (the caller keeps `state`): re-validating a dump is about five
    # times cheaper than copy.deepcopy of the model tree, and CallState has no validators to re-run.
    # The history, the longest part, is shared line by line: its lines are frozen and the list
    # is only ever appended to and cut (`CallState.remember`), so a new list of them is a copy.
    s = type(state).model_validate(state.model_dump(exclude={"history"}))
    s.history = list(state.history)
    reply, _ = await carry_out(s, rules.respond(s, event, ctx), ctx, booking)
    policy.settle(s, reply, ctx)
    return s, reply


class RulesAgent:
    """The rules engine as an `Agent`: no network, no model, always available."""

    name = "rules"

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> tuple[CallState, Reply]:
        return await run_step(state, event, ctx, booking)
