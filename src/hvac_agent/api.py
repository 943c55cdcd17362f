"""Operations endpoints: `/health`, `/metrics`, and the office's read API under `/api/*`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from hvac_agent.guard.access import refusal
from hvac_agent.observability.health import health_report
from hvac_agent.services import Svc, services

router = APIRouter()


def require_api_access(request: Request) -> None:
    """The `/api` rule (`guard.access`), also enforced here for any route mounted elsewhere."""
    refused = refusal(services(request).settings, request.scope)
    if refused is not None:
        headers = {"WWW-Authenticate": "Bearer"} if refused.challenge else None
        raise HTTPException(status_code=refused.status, detail=refused.detail, headers=headers)


ApiAccess = Annotated[None, Depends(require_api_access)]


@router.get("/health")
async def health(svc: Svc) -> JSONResponse:
    report = await health_report(svc)
    return JSONResponse(report, status_code=503 if report["status"] == "down" else 200)


@router.get("/metrics")
async def metrics(svc: Svc) -> Response:
    await svc.calls.active_calls()  # sets the gauge from the shared store (every worker agrees)
    return Response(content=svc.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.post("/api/profile/reload")
async def reload_profile(svc: Svc, _: ApiAccess) -> JSONResponse:
    """Read the business file again (this worker now; the others at their next call start, or
    when they are asked too). A bad file keeps the old profile and the answer says why."""
    result = svc.profile_source.reload()
    body = {"ok": result.ok, "changed": result.changed, "error": result.error, "name": svc.profile.name}
    return JSONResponse(body, status_code=200 if result.ok else 422)


@router.get("/api/appointments")
async def list_appointments(
    svc: Svc,
    _: ApiAccess,
    call_sid: str | None = None,
    phone: str | None = None,
    date: Annotated[dt.date | None, Query()] = None,
    status: Literal["booked", "cancelled", "completed"] | None = None,
) -> list[dict[str, Any]]:
    found = await svc.booking.list_appointments(call_sid=call_sid, phone=_e164(phone), date=date, status=status)
    return [a.model_dump(mode="json") for a in found]


@router.get("/api/appointments/{appointment_id}")
async def get_appointment(svc: Svc, appointment_id: int, _: ApiAccess) -> dict[str, Any]:
    found = await svc.booking.get_appointment(appointment_id)
    if found is None:
        raise HTTPException(status_code=404, detail="appointment not found")
    return found.model_dump(mode="json")


@router.get("/api/calls/{call_sid}")
async def get_call(svc: Svc, call_sid: str, _: ApiAccess) -> dict[str, Any]:
    record: dict[str, Any] | None = await svc.records.get_call(call_sid)
    if record is None:
        raise HTTPException(status_code=404, detail="call not found")
    found = await svc.facts.get(call_sid)  # the call's analytics, kept beside the record (analytics/facts.py)
    record["facts"] = found.model_dump(mode="json") if found is not None else None
    return record


def _e164(phone: str | None) -> str | None:
    """Accept `+15125550123`, `5125550123` or `(512) 555-0123` in the filter."""
    if not phone:
        return None
    from hvac_agent.calls import caller_id_e164

    return caller_id_e164(phone.strip()) or phone.strip()
