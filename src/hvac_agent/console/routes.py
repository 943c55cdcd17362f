"""Console pages: server-rendered HTML forms (post, then redirect back), no build step.

Every change goes through the same services the phone calls use — `BookingService` for complete,
cancel and move (so capacity rules hold), the profile editor for the business profile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from hvac_agent.analytics import queries
from hvac_agent.analytics.rollup import daily, drop_off, facts_csv, funnel, local_day, period
from hvac_agent.booking.availability import local_today
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.console import plots
from hvac_agent.console.access import (
    COOKIE_PATH,
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_DAYS,
    ConsoleAccess,
    ConsolePage,
    check_csrf,
    csrf_value,
    is_https,
    new_session,
    token_matches,
)
from hvac_agent.console.board import day_board, move_targets
from hvac_agent.console.experiments import end_experiment
from hvac_agent.console.profile_edit import InvalidProfile, ProfileEditor, profile_toml
from hvac_agent.dialogue.state import Outcome, Urgency
from hvac_agent.observability.logging import get_logger
from hvac_agent.services import services

log = get_logger("hvac_agent.console")
router = APIRouter(prefix="/console")
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LIVE_POLL_S = 0.5  # transcript feed: how often a live call's new turns are looked for
LIVE_MAX_S = 3 * 3600
KEEPALIVE_S = 15.0
OUTCOMES: tuple[str, ...] = get_args(Outcome)  # the contract's outcomes, in its order
CHANGED_BY = "console"  # what `changed_by_call_sid` says for the office's own changes


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = services(request).clock.now()
    return now


def _editor(request: Request) -> ProfileEditor:
    return ProfileEditor(services(request), services(request).settings.business_file)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    profile = services(request).profile
    context.update(
        request=request,
        profile=profile,
        csrf=csrf_value(request),
        notice=context.get("notice") or request.query_params.get("notice"),
        problem=context.get("problem") or request.query_params.get("problem"),
        signed_in=SESSION_COOKIE in request.cookies,
        token_mode=bool(services(request).settings.api_token),
    )
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE, new_csrf, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request)
        )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def back(path: str, **message: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in message.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


@pass_context
def _local_time(context: Any, when: dt.datetime | None) -> str:
    """A time as the office reads it: business-local, short."""
    if when is None:
        return ""
    return when.astimezone(context["profile"].tz).strftime("%a %b %d, %H:%M")


templates.env.globals["local_time"] = _local_time
templates.env.globals["OUTCOMES"] = OUTCOMES


# ---- sign in / out -------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    if not services(request).settings.api_token:
        return back("/console")
    return render(request, "login.html")


@router.post("/login")
async def login(request: Request, token: Annotated[str, Form()] = "") -> Response:
    svc = services(request)
    api_token = svc.settings.api_token
    if not api_token:
        return back("/console")
    if not token_matches(request, token):
        log.warning("console_login_refused")
        return render(request, "login.html", status_code=401, problem="That token is not right.")
    response = back("/console")
    response.set_cookie(
        SESSION_COOKIE,
        new_session(api_token, svc.clock.now().timestamp()),
        path=COOKIE_PATH,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
    return response


@router.post("/logout")
async def logout(request: Request, _: ConsoleAccess, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    response = back("/console/login")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# ---- the day: bookings per window ----------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def day_view(
    request: Request, _: ConsolePage, start: dt.date | None = None, days: Annotated[int, Query(ge=1, le=14)] = 3
) -> Response:
    state = services(request)
    columns = await day_board(state.booking, state.profile, _now(request), start, days)
    targets = await move_targets(state.booking)
    first = columns[0].date
    return render(
        request,
        "day.html",
        columns=columns,
        targets=targets,
        days=days,
        earlier=first - dt.timedelta(days=days),
        later=first + dt.timedelta(days=days),
        today=local_today(state.profile, _now(request)),
    )


def _return_to(where: str) -> str:
    return where if where.startswith("/console") and "//" not in where else "/console"


@router.post("/appointments/{appointment_id}/complete")
async def complete(
    request: Request,
    appointment_id: int,
    _: ConsoleAccess,
    csrf: Annotated[str, Form()] = "",
    where: Annotated[str, Form()] = "/console",
) -> Response:
    check_csrf(request, csrf)
    done = await services(request).booking.complete(appointment_id, changed_by=CHANGED_BY)
    if done is None:
        return back(_return_to(where), problem=f"Appointment #{appointment_id} is not booked.")
    return back(_return_to(where), notice=f"Appointment #{appointment_id} ({done.customer_name}) marked completed.")


@router.post("/appointments/{appointment_id}/cancel")
async def cancel(
    request: Request,
    appointment_id: int,
    _: ConsoleAccess,
    csrf: Annotated[str, Form()] = "",
    where: Annotated[str, Form()] = "/console",
) -> Response:
    check_csrf(request, csrf)
    result = await services(request).booking.cancel(appointment_id, call_sid=CHANGED_BY)
    if not result.ok:
        return back(_return_to(where), problem=f"Appointment #{appointment_id} could not be cancelled.")
    return back(_return_to(where), notice=f"Appointment #{appointment_id} cancelled; its window place is free.")


@router.post("/appointments/{appointment_id}/move")
async def move(
    request: Request,
    appointment_id: int,
    _: ConsoleAccess,
    csrf: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    where: Annotated[str, Form()] = "/console",
) -> Response:
    """`target` is "YYYY-MM-DD 08:00-12:00"; the service refuses a full, closed or past window."""
    check_csrf(request, csrf)
    day_text, _space, window = target.partition(" ")
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        return back(_return_to(where), problem="Choose a window to move the visit to.")
    result = await services(request).booking.reschedule(appointment_id, date=day, window=window, call_sid=CHANGED_BY)
    if not result.ok:
        why = {
            "window_full": "that window is full",
            "invalid_window": "that window cannot be booked",
            "not_found": "it is not a booked appointment",
        }.get(result.reason, result.reason)
        return back(_return_to(where), problem=f"Appointment #{appointment_id} was not moved: {why}.")
    return back(_return_to(where), notice=f"Appointment #{appointment_id} moved to {day:%a %b %d}, {window}.")


# ---- calls ---------------------------------------------------------------------------------------


@router.get("/calls", response_class=HTMLResponse)
async def calls_page(
    request: Request,
    _: ConsolePage,
    q: str = "",
    outcome: Outcome | None = None,
    urgency: Urgency | None = None,
    date: dt.date | None = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    state = services(request)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    if date is not None:
        since = dt.datetime.combine(date, dt.time(), tzinfo=state.profile.tz)
        until = since + dt.timedelta(days=1)
    per_page = 50
    rows = await queries.search_calls(
        state.engine,
        text=q[:100],
        outcome=outcome,
        urgency=urgency,
        since=since,
        until=until,
        limit=per_page + 1,
        offset=(page - 1) * per_page,
    )
    filters = {"q": q, "outcome": outcome or "", "urgency": urgency or "", "date": date.isoformat() if date else ""}
    return render(
        request,
        "calls.html",
        rows=rows[:per_page],
        more=len(rows) > per_page,
        page=page,
        filters=filters,
        next_query=urlencode({**filters, "page": page + 1}),
    )


@router.get("/calls/{call_sid}", response_class=HTMLResponse)
async def call_page(request: Request, call_sid: str, _: ConsolePage) -> Response:
    state = services(request)
    record = await state.records.get_call_record(call_sid)
    if record is None:
        raise HTTPException(status_code=404, detail="call not found")
    appointment = None
    if record.appointment_id is not None:
        appointment = await state.booking.get_appointment(record.appointment_id)
    else:
        found = await state.booking.list_appointments(call_sid=call_sid)
        appointment = found[0] if found else None
    facts = await state.facts.get(call_sid)
    message = (
        next((t.text for t in reversed(record.turns) if t.role == "caller"), None)
        if record.outcome == "message"
        else None
    )
    return render(
        request,
        "call.html",
        record=record,
        appointment=appointment,
        facts=facts,
        message=message,
        live=record.ended_at is None,
        targets=await move_targets(state.booking),
    )


@router.get("/calls/{call_sid}/events")
async def call_events(request: Request, call_sid: str, _: ConsoleAccess, after: int = 0) -> StreamingResponse:
    """Server-sent events: each new transcript turn as `turn`, then `ended` once the call is over."""
    state = services(request)
    last_id = request.headers.get("last-event-id", "")
    start = int(last_id) if last_id.isdigit() else after

    async def events() -> AsyncIterator[str]:
        seq, quiet, lived = start, 0.0, 0.0
        yield "retry: 2000\n\n"
        while lived < LIVE_MAX_S:
            try:
                turns, ended = await queries.turns_since(state.engine, call_sid, seq)
            except BookingUnavailable:
                turns, ended = [], False
            for turn in turns:
                seq = turn["seq"]
                yield f"id: {seq}\nevent: turn\ndata: {orjson.dumps(turn).decode()}\n\n"
            if ended and not turns:
                yield "event: ended\ndata: {}\n\n"
                return
            quiet = 0.0 if turns else quiet + LIVE_POLL_S
            if quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(LIVE_POLL_S)
            lived += LIVE_POLL_S

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


# ---- inbox ---------------------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request, _: ConsolePage, all: bool = False) -> Response:
    items = await queries.inbox(services(request).engine, include_handled=all)
    return render(request, "inbox.html", items=items, show_all=all, labels=queries.INBOX_LABELS)


@router.post("/inbox/{call_sid}/handled")
async def handled(
    request: Request,
    call_sid: str,
    _: ConsoleAccess,
    csrf: Annotated[str, Form()] = "",
    undo: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(request, csrf)
    await services(request).facts.mark_handled(call_sid, handled=not undo)
    return back("/console/inbox", notice="Put back in the inbox." if undo else "Marked as handled.")


# ---- analytics -----------------------------------------------------------------------------------


def _period(request: Request, days: int) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    return period(services(request).profile, _now(request), days)


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(request: Request, _: ConsolePage, days: Annotated[int, Query(ge=1, le=90)] = 14) -> Response:
    state = services(request)
    since, until, dates = _period(request, days)
    rows = await queries.call_rows(state.engine, since, until)
    per_day = {r.date: r for r in daily(rows, state.profile.tz)}
    labels = [d.strftime("%b %d") for d in dates]
    seen = [o for o in OUTCOMES if any(o in r.outcomes for r in per_day.values())]
    outcome_series = [
        plots.Series(o.replace("_", " "), [per_day[d].outcomes.get(o, 0) if d in per_day else 0 for d in dates])
        for o in seen
    ]
    latency = [
        plots.Series(name, [getattr(per_day[d].latency, key) if d in per_day else None for d in dates])
        for name, key in (("p50", "p50_ms"), ("p90", "p90_ms"), ("p99", "p99_ms"))
    ]
    steps = funnel(rows)
    drops = [(asked.replace("_", " "), n) for asked, n in drop_off(rows)]
    charts = {
        "outcomes": plots.stacked_bars("Calls and outcomes per day", labels, outcome_series),
        "funnel": plots.horizontal_bars("From greeting to booking", steps),
        "latency": plots.lines("Response time per turn (server), percentiles", labels, latency, unit=" ms"),
        "drop_off": plots.horizontal_bars("Where callers hung up (what they were asked)", drops),
    }
    return render(
        request,
        "analytics.html",
        days=days,
        charts=charts,
        per_day=per_day,
        dates=dates,
        steps=steps,
        drops=drops,
        calls=len(rows),
    )


@router.get("/analytics.csv")
async def analytics_csv(request: Request, _: ConsoleAccess, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Response:
    since, until, _dates = _period(request, days)
    rows = await queries.call_rows(services(request).engine, since, until)
    return Response(
        facts_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="calls-{days}d.csv"'},
    )


# ---- A/B tests -----------------------------------------------------------------------------------


@router.get("/experiments", response_class=HTMLResponse)
async def experiments_page(request: Request, _: ConsolePage) -> Response:
    pairs = await queries.experiment_results(services(request).engine, services(request).profile.experiments)
    return render(request, "experiments.html", experiments=[{"experiment": e, "results": r} for e, r in pairs])


@router.post("/experiments/{name}/end")
async def end_test(
    request: Request,
    name: str,
    _: ConsoleAccess,
    csrf: Annotated[str, Form()] = "",
    winner: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    editor = _editor(request)
    try:
        profile = end_experiment(editor.current, name, winner)
        editor.save(profile_toml(profile))
    except (ValueError, InvalidProfile) as error:
        return back("/console/experiments", problem=str(error))
    return back("/console/experiments", notice=f"Test {name} ended: every caller now hears {winner}.")


# ---- business profile ----------------------------------------------------------------------------


@router.get("/profile", response_class=HTMLResponse)
async def profile_page(request: Request, _: ConsolePage) -> Response:
    editor = _editor(request)
    return render(
        request, "profile.html", source=editor.source(), problems=[], persistent=editor.persistent, file=editor.file
    )


@router.post("/profile", response_class=HTMLResponse)
async def save_profile(
    request: Request, _: ConsoleAccess, csrf: Annotated[str, Form()] = "", source: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    editor = _editor(request)
    try:
        editor.save(source)
    except InvalidProfile as error:
        return render(
            request,
            "profile.html",
            status_code=422,
            source=source,
            problems=error.problems,
            persistent=editor.persistent,
            file=editor.file,
        )
    log.info("profile_applied", persistent=editor.persistent)
    saved = "saved and applied" if editor.persistent else "applied (until restart: set HVAC_BUSINESS_FILE to keep it)"
    return back("/console/profile", notice=f"Business profile {saved}.")


# ---- softphone -----------------------------------------------------------------------------------


@router.get("/softphone", response_class=HTMLResponse)
async def softphone_page(request: Request, _: ConsolePage) -> Response:
    # In gather mode the speech engines are built on the first softphone call (seconds: the offline
    # recogniser's model): start now, while the page is read, so the call connects at once.
    services(request).voice.warm()
    return render(request, "softphone.html")


def day_label(day: dt.date) -> str:
    return f"{day:%a %b} {day.day}"


templates.env.globals["day_label"] = day_label
templates.env.globals["local_day"] = local_day
