"""Office endpoints of the follow-ups: the iCal feed, "forget this caller", delivery status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from hvac_agent.api import ApiAccess
from hvac_agent.booking.availability import local_today
from hvac_agent.calls import caller_id_e164
from hvac_agent.followups.exports import ical_feed
from hvac_agent.followups.forget import forget_caller
from hvac_agent.services import services

router = APIRouter()
MAX_FEED_DAYS = 62


@router.get("/api/calendar.ics")
async def calendar_feed(
    request: Request,
    _: ApiAccess,
    date: Annotated[dt.date | None, Query(description="first day (business-local); default today")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_FEED_DAYS)] = 1,
    status: Literal["booked", "cancelled"] | None = "booked",
) -> Response:
    """Bookings per day as an iCalendar feed for the office calendar."""
    state = services(request)
    first = date or local_today(state.profile, state.clock.now())
    found: list[dict[str, Any]] = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        found += [a.model_dump(mode="json") for a in await state.booking.list_appointments(date=day, status=status)]
    body = ical_feed(found, state.profile, state.clock.now())
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="bookings-{first.isoformat()}.ics"'},
    )


@router.delete("/api/callers/{phone}")
async def forget(request: Request, phone: str, _: ApiAccess) -> dict[str, Any]:
    """The caller asked to be forgotten: erase their personal data everywhere we keep it."""
    number = caller_id_e164(phone.strip())
    if number is None:
        raise HTTPException(status_code=422, detail="not a valid phone number")
    return await forget_caller(services(request).engine, number, services(request).clock.now())


@router.get("/api/followups")
async def deliveries(request: Request, _: ApiAccess, status: str | None = None) -> list[dict[str, Any]]:
    """Follow-up deliveries and where each one stands (pending, delivered, skipped, dead)."""
    rows = await services(request).followups.store.deliveries()
    shown = (
        "id",
        "event_kind",
        "event_key",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_ref",
        "delivered_by",
        "updated_at",
    )
    out = [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items() if k in shown} for row in rows
    ]
    return [row for row in out if status is None or row["status"] == status]
