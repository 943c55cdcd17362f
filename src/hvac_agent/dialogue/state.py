"""The dialogue core's vocabulary: call state, events in, replies and effects out.

The core is `step(state, event, ctx) -> (state, reply)`; it never does I/O. When it needs the world
(open windows, a booking, a lookup) it returns a `Reply` carrying an `Effect`; the runner carries
the effect out and feeds the result back as an event. Everything here is a pydantic model so a
state round-trips through JSON for the session stores.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IssueCategory = Literal["no_heat", "no_cooling", "leak", "noise", "smell", "thermostat", "maintenance", "other"]
Urgency = Literal["emergency", "urgent", "routine"]
URGENCY_RANK: dict[str, int] = {"routine": 0, "urgent": 1, "emergency": 2}  # a slot only ever rises
Outcome = Literal[
    "booked",
    "rescheduled",
    "cancelled",
    "emergency",
    "transferred",
    "message",
    "out_of_area",
    "abandoned",
    "in_progress",
]
EmergencyKind = Literal["gas", "carbon_monoxide", "smoke_fire"]
Intent = Literal["book", "cancel", "reschedule", "question", "human", "goodbye"]
QuestionTopic = Literal[
    "hours",
    "service_area",
    "price",
    "identity",
    "brands",
    "financing",
    "payment",
    "licensing",
    "warranty",
    "discounts",
    "other",
]
PartOfDay = Literal["morning", "afternoon"]
# What the agent just asked for: drives understanding, Gather hints, keypad input and endpointing.
Expect = Literal[
    "intent",
    "name",
    "phone",
    "phone_confirm",
    "address",
    "zip",
    "unit",
    "issue",
    "urgency",
    "window",
    "confirm",
    "yes_no",
    "message",
    "anything_else",
    "returning",  # "Is this for 4410 Duval Street again?" (a returning caller's past details)
]
Phase = Literal[
    "collecting",
    "choosing_window",
    "confirming",
    "booked",
    "emergency",
    "out_of_area",
    "taking_message",
    "cancel_lookup",
    "verifying",  # a booked number given from another phone: the second factor is asked for
    "cancel_confirm",
    "reschedule_choose",
    "reschedule_confirm",
    "forget_confirm",
    "offer_transfer",
    "offer_oncall",
    "done",
]
AgentRung = Literal["llm", "fast_llm", "rules", "transfer"]
# What the caller's next "yes" agrees to: set when code asks the confirmation question, kept while
# every reply ends with it again, cleared by anything else (a changed detail needs a new read-back).
ConfirmKind = Literal["book", "cancel", "reschedule", "forget"]
TransferReason = Literal["requested", "frustration", "emergency", "out_of_area", "fallback", "oncall"]
HISTORY_TURNS = 30  # caller + agent lines kept in state (the LLM sees the last 15 exchanges)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowOffer(_Model):
    """One concrete arrival window on one day (business-local date)."""

    date: dt.date
    window: str  # "08:00-12:00"
    remaining: int = 1


class AppointmentRef(_Model):
    """What the core needs to know of an existing booking (cancel / reschedule)."""

    id: int
    customer_name: str
    phone: str
    address: str
    unit: str | None = None
    zip: str
    issue: str
    date: dt.date
    window: str
    status: Literal["booked", "cancelled"] = "booked"


class PastVisit(_Model):
    """A booking made earlier for the caller's own number (any status): what a returning caller's
    greeting offers and the LLM's context holds. Only ever loaded for the caller ID's number."""

    customer_name: str
    address: str
    unit: str | None = None
    zip: str
    issue: str
    date: dt.date
    window: str
    status: str


class Slots(_Model):
    """What a dispatcher needs. A slot is filled only with a validated value."""

    name: str | None = None
    phone: str | None = None  # E.164
    street: str | None = None  # street line, e.g. "4410 Duval Street"
    unit: str | None = None
    zip: str | None = None
    issue: str | None = None  # the caller's problem, in brief
    issue_category: IssueCategory | None = None
    urgency: Urgency | None = None
    date: dt.date | None = None
    window: str | None = None


class TranscriptTurn(_Model):
    """One line of the recent history; frozen, so a state's copy may share it (agent.run_step)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["caller", "agent"]
    text: str
    at: dt.datetime


class CallState(_Model):
    """Everything about one call that must survive a restart or a hop to another worker."""

    call_sid: str
    caller_id: str | None = None  # E.164 from Twilio `From`, when it parses
    started_at: dt.datetime
    turn: int = 0  # caller events handled so far; the gather edge puts it in the action URL
    phase: Phase = "collecting"
    intent: Literal["book", "cancel", "reschedule"] = "book"
    slots: Slots = Field(default_factory=Slots)
    unit_asked: bool = False  # the "any apartment or unit number?" question was put once
    # Slots ("name", "address") just read back because the recogniser was unsure of them: the
    # caller's next turn may replace them whatever question it answers.
    unsure_slots: list[str] = Field(default_factory=list)
    # The caller cut the read-back short before saying yes: the fee and the details are said again
    # (once) before a booking; set per caller turn by both agents.
    read_back_cut: bool = False
    read_back_repeated: bool = False
    caller_id_declined: bool = False  # the caller said the number they call from is not the one
    asked: Expect | None = None
    awaiting_yes: ConfirmKind | None = None
    last_question: str = ""  # the words of the last question, for reprompts
    misunderstood: dict[str, int] = Field(default_factory=dict)  # per question asked
    silences: int = 0  # consecutive silent turns
    offered: list[WindowOffer] = Field(default_factory=list)
    declined_dates: list[dt.date] = Field(default_factory=list)
    # A visit-time preference heard before windows were offered ("tomorrow morning").
    pref_date: dt.date | None = None
    pref_part: PartOfDay | None = None
    pref_earliest: bool = False
    pending_phone_digits: str = ""  # a number spread over several utterances
    job_type: str | None = None  # the visit's job type (from the problem), once windows are sought
    emergency: EmergencyKind | None = None
    frustration: float = 0.0
    outcome: Outcome = "in_progress"
    appointment_id: int | None = None
    existing: list[AppointmentRef] = Field(default_factory=list)  # only once the caller is verified
    target: AppointmentRef | None = None
    # Contract rule 7: the number whose bookings this caller has proven to hold (the caller ID, or
    # a number given with a matching second factor). Appointments under any other number are held
    # out of sight in `unverified` and never said or changed.
    verified_phone: str | None = None
    unverified: list[AppointmentRef] = Field(default_factory=list)
    verify_tries: int = 0
    # A returning caller (past bookings under the caller ID): the details offered for a yes.
    past: list[PastVisit] = Field(default_factory=list)
    returning_answered: bool = False  # yes or no was said to "Is this for … again?"
    forgotten: bool = False  # the caller's data was erased on their request during this call
    message: str | None = None
    history: list[TranscriptTurn] = Field(default_factory=list)  # recent turns, for LLM context
    rung: AgentRung = "rules"
    ended: bool = False

    def remember(self, role: Literal["caller", "agent"], text: str, at: dt.datetime) -> None:
        """Add a line to the recent history kept for context (the full transcript is the call record)."""
        if text:
            self.history.append(TranscriptTurn(role=role, text=text, at=at))
            del self.history[:-HISTORY_TURNS]

    def booking_request(self) -> BookingRequest:
        """The booking for this call's slots; only valid once every slot and a window are set."""
        sl = self.slots
        assert sl.name and sl.phone and sl.street and sl.zip and sl.issue and sl.date and sl.window
        return BookingRequest(
            call_sid=self.call_sid,
            customer_name=sl.name,
            phone=sl.phone,
            address=sl.street,
            unit=sl.unit,
            zip=sl.zip,
            issue=sl.issue,
            issue_category=sl.issue_category or "other",
            urgency=sl.urgency or "routine",
            date=sl.date,
            window=sl.window,
        )


# ---- events in ---------------------------------------------------------------------------------


class CallStarted(_Model):
    kind: Literal["call_started"] = "call_started"
    caller_id: str | None = None


class CallerSaid(_Model):
    kind: Literal["caller_said"] = "caller_said"
    text: str
    confidence: float | None = None
    # Heard by an on-device recogniser (stream mode without a cloud account): no confidence, and
    # names and street names are what it gets wrong most, so they are read back at once.
    offline: bool = False
    # The caller began over the agent's reply and cut it short (a barge-in): not all of it was
    # heard, so a yes to a read-back it cut off cannot stand for agreeing to all of it.
    cut_in: bool = False


class CallerUnclear(_Model):
    """The caller spoke (speech was detected) but no words could be made out: a miss on the
    question, never a silence ("I didn't hear anything" would be false)."""

    kind: Literal["caller_unclear"] = "caller_unclear"


class DigitsPressed(_Model):
    kind: Literal["digits"] = "digits"
    digits: str


class Silence(_Model):
    kind: Literal["silence"] = "silence"


class HangUp(_Model):
    kind: Literal["hang_up"] = "hang_up"


class WindowsLoaded(_Model):
    kind: Literal["windows_loaded"] = "windows_loaded"
    windows: list[WindowOffer]
    lost: WindowOffer | None = None  # echoed from `LoadWindows.lost`


class WindowHeld(_Model):
    """Whether the window chosen for the read-back is held for the call (False: someone else
    took the last place since it was offered)."""

    kind: Literal["window_held"] = "window_held"
    ok: bool
    date: dt.date
    window: str


class BookingResult(_Model):
    kind: Literal["booking_result"] = "booking_result"
    ok: bool
    reason: Literal["booked", "already_booked", "window_full", "invalid_window", "error"] = "booked"
    appointment_id: int | None = None
    date: dt.date | None = None
    window: str | None = None


class HistoryLoaded(_Model):
    """The caller ID's past bookings, newest first (empty: a new caller, or no caller ID)."""

    kind: Literal["history_loaded"] = "history_loaded"
    visits: list[PastVisit]


class CallerForgotten(_Model):
    kind: Literal["caller_forgotten"] = "caller_forgotten"
    ok: bool


class AppointmentsFound(_Model):
    kind: Literal["appointments_found"] = "appointments_found"
    appointments: list[AppointmentRef]


class ChangeResult(_Model):
    """Outcome of a cancel or reschedule."""

    kind: Literal["change_result"] = "change_result"
    ok: bool
    reason: Literal["done", "not_found", "window_full", "invalid_window", "error"] = "done"
    appointment: AppointmentRef | None = None


# What carrying out an effect gives back (fed to the core as the next event).
Result = WindowsLoaded | WindowHeld | BookingResult | AppointmentsFound | ChangeResult | HistoryLoaded | CallerForgotten

Event = Annotated[
    CallStarted
    | CallerSaid
    | CallerUnclear
    | DigitsPressed
    | Silence
    | HangUp
    | WindowsLoaded
    | WindowHeld
    | BookingResult
    | AppointmentsFound
    | ChangeResult
    | HistoryLoaded
    | CallerForgotten,
    Field(discriminator="kind"),
]


# ---- effects out ------------------------------------------------------------------------------


class LoadWindows(_Model):
    kind: Literal["load_windows"] = "load_windows"
    limit: int = 3
    not_before: dt.date | None = None
    exclude_dates: list[dt.date] = Field(default_factory=list)
    part_of_day: PartOfDay | None = None
    lost: WindowOffer | None = None  # the window just lost to another caller: never offered again at once
    hold_for: str | None = None  # the call SID the windows found are held for
    job_type: str | None = None  # the visit's job type (business/jobs.py): its size and skills


class HoldWindow(_Model):
    """Hold the chosen window for the call before it is read back."""

    kind: Literal["hold_window"] = "hold_window"
    call_sid: str
    date: dt.date
    window: str
    job_type: str | None = None


class BookingRequest(_Model):
    call_sid: str
    customer_name: str
    phone: str
    address: str
    unit: str | None
    zip: str
    issue: str
    issue_category: IssueCategory
    urgency: Urgency
    date: dt.date
    window: str


class Book(_Model):
    kind: Literal["book"] = "book"
    request: BookingRequest


class FindAppointments(_Model):
    kind: Literal["find_appointments"] = "find_appointments"
    phone: str


class CancelAppointment(_Model):
    kind: Literal["cancel"] = "cancel"
    appointment_id: int
    call_sid: str


class RescheduleAppointment(_Model):
    kind: Literal["reschedule"] = "reschedule"
    appointment_id: int
    call_sid: str
    date: dt.date
    window: str


class LoadHistory(_Model):
    """The past bookings of the caller's own number (caller ID), for a returning caller."""

    kind: Literal["load_history"] = "load_history"
    phone: str


class ForgetCaller(_Model):
    """Erase the caller's personal data (the same erasure as `DELETE /api/callers/{phone}`)."""

    kind: Literal["forget_caller"] = "forget_caller"
    phone: str


Effect = Annotated[
    LoadWindows
    | HoldWindow
    | Book
    | FindAppointments
    | CancelAppointment
    | RescheduleAppointment
    | LoadHistory
    | ForgetCaller,
    Field(discriminator="kind"),
]


class Reply(_Model):
    """What the agent does next. `say` is plain text (edges escape it for TwiML/TTS).

    `action`: `listen` waits for the caller (what kind of answer is in `expect`); `transfer` hands
    the call to `transfer_to` (with a message fallback); `hangup` ends the call after `say`.
    When `effect` is set the runner carries it out and steps again with its result; `say` is then
    an optional acknowledgement to speak while that happens.
    """

    say: str = ""
    action: Literal["listen", "transfer", "hangup"] = "listen"
    expect: Expect | None = None
    transfer_to: str | None = None
    transfer_reason: TransferReason | None = None
    effect: Effect | None = None
    hints: list[str] = Field(default_factory=list)
    keypad: bool = False  # invite keypad entry (numbers, ZIP) after repeated misunderstanding
