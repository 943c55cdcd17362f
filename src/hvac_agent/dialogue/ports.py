"""The dialogue core's view of the outside world. Implementations live in `booking/` (database)
and in tests; the core and the agents depend only on these protocols."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from hvac_agent.dialogue.state import (
    AppointmentRef,
    BookingRequest,
    BookingResult,
    ChangeResult,
    Outcome,
    PastVisit,
    Urgency,
    WindowOffer,
)

if TYPE_CHECKING:
    from hvac_agent.followups.events import OutboxEvent


class BookingPort(Protocol):
    async def open_windows(
        self,
        *,
        limit: int = 3,
        not_before: dt.date | None = None,
        exclude_dates: list[dt.date] | None = None,
        part_of_day: str | None = None,
        hold_for: str | None = None,
        job_type: str | None = None,
    ) -> list[WindowOffer]:
        """The first open windows from capacity: never full, never past, never on a closed day.
        With `hold_for`, they are held for that call (replacing its earlier holds)."""
        ...

    async def hold_window(self, call_sid: str, day: dt.date, window: str, *, job_type: str | None = None) -> bool:
        """Hold one chosen window for the call (dropping its other holds); False when it is gone."""
        ...

    async def release_holds(self, call_sid: str) -> None:
        """Free the call's held windows (the call ended)."""
        ...

    async def book(self, request: BookingRequest) -> BookingResult:
        """Idempotent per `request.call_sid`; capacity enforced by the database."""
        ...

    async def find_by_phone(self, phone: str) -> list[AppointmentRef]:
        """Upcoming booked appointments for an E.164 number, soonest first."""
        ...

    async def past_visits(self, phone: str) -> list[PastVisit]:
        """Bookings ever made for an E.164 number (any status), newest first: a returning caller's.
        Only ever asked for the caller ID's own number."""
        ...

    async def forget_caller(self, phone: str) -> bool:
        """Erase the personal data kept for an E.164 number (as `DELETE /api/callers/{phone}`)."""
        ...

    async def cancel(self, appointment_id: int, *, call_sid: str) -> ChangeResult: ...

    async def reschedule(self, appointment_id: int, *, date: dt.date, window: str, call_sid: str) -> ChangeResult: ...


class CallRecordPort(Protocol):
    """The durable call record behind `/api/calls/{call_sid}`: written live, turn by turn."""

    async def start_call(self, call_sid: str, *, caller: str | None, started_at: dt.datetime) -> None:
        """Create the record if absent (idempotent)."""
        ...

    async def add_turn(self, call_sid: str, *, role: str, text: str, at: dt.datetime) -> int:
        """Append a turn as it happens; returns its sequence number within the call."""
        ...

    async def record_turn(
        self,
        call_sid: str,
        *,
        turns: Sequence[tuple[str, str]],
        at: dt.datetime,
        outcome: Outcome | None = None,
        urgency: Urgency | None = None,
        appointment_id: int | None = None,
        follow_up: OutboxEvent | None = None,
    ) -> None:
        """A whole turn at once (its `(role, text)` turns, changed fields, follow-up): one commit."""
        ...

    async def amend_turn(self, call_sid: str, seq: int, text: str) -> None:
        """Cut a turn to what was actually heard (empty: it was never heard, remove it)."""
        ...

    async def update_call(
        self,
        call_sid: str,
        *,
        outcome: Outcome | None = None,
        urgency: Urgency | None = None,
        appointment_id: int | None = None,
        follow_up: OutboxEvent | None = None,
    ) -> None:
        """Set the given fields; `follow_up` goes into the outbox in the same transaction."""
        ...

    async def finish_call(
        self,
        call_sid: str,
        *,
        ended_at: dt.datetime,
        outcome: Outcome | None = None,
        duration_s: int | None = None,
        summary: str | None = None,
        follow_up: OutboxEvent | None = None,
        release_holds: bool = False,
    ) -> None:
        """Mark the call ended; an `in_progress` outcome becomes `abandoned`. Idempotent. A given
        `summary` replaces the stored one; `follow_up` goes into the outbox in the same transaction,
        and with `release_holds` the windows held for the call go free in it too."""
        ...

    async def get_call(self, call_sid: str) -> dict[str, Any] | None:
        """The contract's call record JSON, or None."""
        ...
