"""Boundary shapes of the booking layer: what `/api/*` and the CLI print.

`AppointmentOut.model_dump(mode="json")` is exactly the contract's Appointment object, and
`CallRecordOut.model_dump(mode="json", by_alias=True)` exactly its call record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hvac_agent.dialogue.state import AppointmentRef, BookingRequest, Outcome, Urgency


class AppointmentOut(BookingRequest):
    """The contract's Appointment object: what was booked (date business-local) plus its identity,
    status and `created_at` (UTC)."""

    id: int
    status: Literal["booked", "cancelled", "completed"]
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> AppointmentOut:
        return cls.model_validate({name: row[name] for name in cls.model_fields})

    def to_ref(self) -> AppointmentRef:
        return AppointmentRef.model_validate(self.model_dump(include=set(AppointmentRef.model_fields)))


class CallTurnOut(BaseModel):
    role: Literal["caller", "agent"]
    text: str
    at: dt.datetime


class CallRecordOut(BaseModel):
    """The contract's call record (`GET /api/calls/{call_sid}`); `from` is a keyword, hence the alias."""

    model_config = ConfigDict(populate_by_name=True)

    call_sid: str
    from_: str | None = Field(alias="from")
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: Outcome
    urgency: Urgency | None
    turns: list[CallTurnOut]
    appointment_id: int | None
    summary: str | None = None  # written after the call (LLM when configured, else from the call state)
