"""`/api/analytics/*`: daily roll-ups and comparisons as JSON, per-call facts as CSV (same access as `/api`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hvac_agent.analytics import queries
from hvac_agent.analytics.rollup import daily, drop_off, facts_csv, funnel, percentiles, period
from hvac_agent.api import ApiAccess
from hvac_agent.services import services

router = APIRouter(prefix="/api/analytics")
Days = Annotated[int, Query(ge=1, le=366)]


@router.get("/daily")
async def daily_rollups(request: Request, _: ApiAccess, days: Days = 14) -> dict[str, Any]:
    """Per business-local day: calls, outcomes, booking rate, turns, misunderstandings, transfers,
    fallbacks, latency percentiles; and over the whole period the funnel and drop-off points."""
    state = services(request)
    since, until, _dates = period(state.profile, state.clock.now(), days)
    rows = await queries.call_rows(state.engine, since, until)
    return {
        "from": since.date().isoformat(),
        "days": [day.model_dump(mode="json") for day in daily(rows, state.profile.tz)],
        "funnel": [{"stage": stage, "calls": n} for stage, n in funnel(rows)],
        "drop_off": [{"waiting_for": asked, "calls": n} for asked, n in drop_off(rows)],
        "latency": percentiles([ms for r in rows if r.facts for ms in r.facts.latency_ms]).model_dump(),
    }


@router.get("/calls.csv")
async def calls_csv(request: Request, _: ApiAccess, days: Days = 30) -> Response:
    state = services(request)
    since, until, _dates = period(state.profile, state.clock.now(), days)
    rows = await queries.call_rows(state.engine, since, until)
    return Response(facts_csv(rows), media_type="text/csv")


@router.get("/experiments")
async def experiments(request: Request, _: ApiAccess) -> list[dict[str, Any]]:
    """Every A/B test in the profile with each variant's calls, bookings and Wilson 95 % interval."""
    pairs = await queries.experiment_results(services(request).engine, services(request).profile.experiments)
    return [
        {"name": e.name, "status": e.status, "winner": e.winner, "variants": [v.model_dump() for v in results]}
        for e, results in pairs
    ]
