"""Agents: one caller event in, new state and a spoken reply out, with effects carried out.

`RulesAgent` runs the pure rules `step` and performs the effects it asks for through the
`BookingPort`, feeding each result back in as an event. The LLM agent and the degradation ladder
implement the same protocol, so the telephony edges never know which one answered.
"""

from __future__ import annotations

from typing import Protocol

from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.rules import step
from hvac_agent.dialogue.state import (
    AppointmentsFound,
    Book,
    BookingResult,
    CallState,
    CancelAppointment,
    ChangeResult,
    Effect,
    Event,
    FindAppointments,
    LoadWindows,
    Reply,
    RescheduleAppointment,
    WindowsLoaded,
)

MAX_EFFECTS_PER_TURN = 6  # a turn never loops on effects (e.g. a window lost twice in a row)


class Agent(Protocol):
    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> tuple[CallState, Reply]:
        """Handle one event; the returned Reply carries no effect (it has been carried out)."""
        ...


async def perform(effect: Effect, booking: BookingPort) -> Event:
    """Carry out one effect and return its result as an event. Failures become failed results."""
    try:
        if isinstance(effect, LoadWindows):
            windows = await booking.open_windows(
                limit=effect.limit,
                not_before=effect.not_before,
                exclude_dates=effect.exclude_dates,
                part_of_day=effect.part_of_day,
            )
            return WindowsLoaded(windows=windows)
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
    except Exception:  # noqa: BLE001 - the caller gets a polite route, never a crash
        if isinstance(effect, Book):
            return BookingResult(ok=False, reason="error")
        if isinstance(effect, (CancelAppointment, RescheduleAppointment)):
            return ChangeResult(ok=False, reason="error")
        if isinstance(effect, LoadWindows):
            return WindowsLoaded(windows=[])
        return AppointmentsFound(appointments=[])
    raise TypeError(f"unknown effect {effect!r}")


async def run_step(
    state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
) -> tuple[CallState, Reply]:
    """`step`, then every effect it asks for, until a reply that only speaks and acts."""
    spoken: list[str] = []
    state, reply = step(state, event, ctx)
    for _ in range(MAX_EFFECTS_PER_TURN):
        if reply.effect is None:
            break
        if reply.say:
            spoken.append(reply.say)
        result = await perform(reply.effect, booking)
        state, reply = step(state, result, ctx)
    else:
        state, reply = step(state, BookingResult(ok=False, reason="error"), ctx)
    if spoken:
        reply = reply.model_copy(update={"say": " ".join([*spoken, reply.say]).strip()})
    return state, reply


class RulesAgent:
    """The rules engine as an `Agent`: no network, no model, always available."""

    name = "rules"

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> tuple[CallState, Reply]:
        return await run_step(state, event, ctx, booking)
