"""The schedule's calendar: which arrival windows exist on which day, and how many technicians.

An office runs a week, not one flat day: Saturday may have only a morning window, a holiday closes
the shop, a technician out sick lowers one day's count. These models are the profile's parts for
that; `BusinessProfile` (config.py) combines them into per-date answers.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_hhmm(value: str) -> str:
    if not HHMM.match(value):
        raise ValueError(f"time must be HH:MM, got {value!r}")
    return value


def weekday_key(value: str) -> str:
    """`"Monday"`, `"mon"`, `"MON"` → `"mon"`; anything else is an error."""
    key = value.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"unknown weekday {value!r}")
    return key


class ArrivalWindow(BaseModel):
    """A technician arrival window, local business time, e.g. 08:00-12:00."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        return check_hhmm(value)

    @model_validator(mode="after")
    def _ordered(self) -> ArrivalWindow:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} must be after start {self.start}")
        return self

    @property
    def label(self) -> str:
        """The contract's window string, `"08:00-12:00"`."""
        return f"{self.start}-{self.end}"

    @property
    def start_time(self) -> dt.time:
        return dt.time.fromisoformat(self.start)


class WindowSpec(ArrivalWindow):
    """A window on one weekday, with its own technician count (None: the profile's default) and
    how many of those technicians have each skill (a skill not listed: nobody has it)."""

    technicians: int | None = Field(default=None, ge=0)
    skills: dict[str, int] = Field(default_factory=dict)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: dict[str, int]) -> dict[str, int]:
        if any(count < 0 for count in value.values()):
            raise ValueError("skill counts must not be negative")
        return {name.strip().lower(): count for name, count in value.items()}


class Holiday(BaseModel):
    """A date the shop is closed, with the name callers hear ("Christmas Day")."""

    date: dt.date
    name: str = Field(default="", max_length=80)


class CapacityOverride(BaseModel):
    """A date whose technician count differs (someone out sick, an extra crew): one window, or
    every window that day when `window` is None."""

    date: dt.date
    window: str | None = None
    technicians: int = Field(ge=0)
    note: str = Field(default="", max_length=200)


class OfficeHours(BaseModel):
    """When a person answers at the office on one weekday (local time)."""

    open: str = "08:00"
    close: str = "16:00"

    @field_validator("open", "close")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        return check_hhmm(value)

    @model_validator(mode="after")
    def _ordered(self) -> OfficeHours:
        if self.close <= self.open:
            raise ValueError(f"office close {self.close} must be after open {self.open}")
        return self

    def covers(self, at: dt.time) -> bool:
        return dt.time.fromisoformat(self.open) <= at < dt.time.fromisoformat(self.close)
