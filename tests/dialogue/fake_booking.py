"""An in-memory BookingPort for driving the pure dialogue core (the database one is tested apart)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hvac_agent.dialogue.state import (
    AppointmentRef,
    BookingRequest,
    BookingResult,
    ChangeResult,
    PastVisit,
    WindowOffer,
)


@dataclass
class FakeBooking:
    windows: list[WindowOffer] = field(
        default_factory=lambda: [
            WindowOffer(date=dt.date(2026, 12, 2), window="12:00-16:00"),
            WindowOffer(date=dt.date(2026, 12, 3), window="08:00-12:00"),
            WindowOffer(date=dt.date(2026, 12, 3), window="12:00-16:00"),
            WindowOffer(date=dt.date(2026, 12, 4), window="08:00-12:00"),
        ]
    )
    booked: dict[str, AppointmentRef] = field(default_factory=dict)
    full: set[tuple[dt.date, str]] = field(default_factory=set)
    fail: bool = False
    requests: list[BookingRequest] = field(default_factory=list)
    held: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)

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
        if self.fail:
            raise RuntimeError("database down")
        found = [
            w
            for w in self.windows
            if (not_before is None or w.date >= not_before)
            and w.date not in (exclude_dates or [])
            and (w.date, w.window) not in self.full
            and (part_of_day is None or (w.window < "12:00") == (part_of_day == "morning"))
        ]
        return found[:limit]

    async def book(self, request: BookingRequest) -> BookingResult:
        self.requests.append(request)
        if self.fail:
            return BookingResult(ok=False, reason="error")
        if request.call_sid in self.booked:
            a = self.booked[request.call_sid]
            return BookingResult(ok=True, reason="already_booked", appointment_id=a.id, date=a.date, window=a.window)
        if (request.date, request.window) in self.full:
            return BookingResult(ok=False, reason="window_full")
        ref = AppointmentRef(
            id=len(self.booked) + 1,
            customer_name=request.customer_name,
            phone=request.phone,
            address=request.address,
            unit=request.unit,
            zip=request.zip,
            issue=request.issue,
            date=request.date,
            window=request.window,
        )
        self.booked[request.call_sid] = ref
        return BookingResult(ok=True, appointment_id=ref.id, date=ref.date, window=ref.window)

    async def hold_window(self, call_sid: str, day: dt.date, window: str, *, job_type: str | None = None) -> bool:
        if self.fail:
            raise RuntimeError("database down")
        self.held[call_sid] = (day, window)
        return (day, window) not in self.full

    async def release_holds(self, call_sid: str) -> None:
        self.held.pop(call_sid, None)

    async def find_by_phone(self, phone: str) -> list[AppointmentRef]:
        return [a for a in self.booked.values() if a.phone == phone and a.status == "booked"]

    async def past_visits(self, phone: str) -> list[PastVisit]:
        return [
            PastVisit(
                **a.model_dump(include={"customer_name", "address", "unit", "zip", "issue", "date", "window", "status"})
            )
            for a in reversed(self.booked.values())
            if a.phone == phone
        ]

    async def forget_caller(self, phone: str) -> bool:
        self.forgotten.append(phone)
        for key, a in self.booked.items():
            if a.phone == phone:
                self.booked[key] = a.model_copy(update={"phone": "", "customer_name": "(forgotten)"})
        return True

    async def cancel(self, appointment_id: int, *, call_sid: str) -> ChangeResult:
        for key, a in self.booked.items():
            if a.id == appointment_id:
                self.booked[key] = a.model_copy(update={"status": "cancelled"})
                return ChangeResult(ok=True, appointment=self.booked[key])
        return ChangeResult(ok=False, reason="not_found")

    async def reschedule(self, appointment_id: int, *, date: dt.date, window: str, call_sid: str) -> ChangeResult:
        if (date, window) in self.full:
            return ChangeResult(ok=False, reason="window_full")
        for key, a in self.booked.items():
            if a.id == appointment_id:
                self.booked[key] = a.model_copy(update={"date": date, "window": window})
                return ChangeResult(ok=True, appointment=self.booked[key])
        return ChangeResult(ok=False, reason="not_found")
