"""`/health`: can we take calls right now?

`ok`: everything answers. `degraded` (HTTP 200): a part is down but calls are still handled —
without the database nothing can be booked, so callers are handed to a person; without the session
store callers are handed to a person straight away. `down` (503): neither works.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from hvac_agent.booking.db import ping
from hvac_agent.dialogue.nlu import semantic

if TYPE_CHECKING:
    from hvac_agent.services import Services

CHECK_TIMEOUT_S = 2.0


async def _check_database(svc: Services) -> dict[str, Any]:
    alive = await ping(svc.engine, timeout_s=CHECK_TIMEOUT_S)
    return {"status": "ok" if alive else "down"}


async def _check_sessions(svc: Services) -> dict[str, Any]:
    store = svc.store
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            alive = await store.ping()
    except Exception as error:  # noqa: BLE001
        return {"status": "down", "error": type(error).__name__, "backend": type(store).__name__}
    return {"status": "ok" if alive else "down", "backend": type(store).__name__}


def _circuits(svc: Services) -> dict[str, Any]:
    circuits: dict[str, Any] = {}
    snapshot = getattr(svc.calls.agent, "circuits", None)  # agents with breakers (the LLM's) show them
    if callable(snapshot):
        circuits.update(snapshot())
    voice = svc.voice.engines
    if voice is not None:  # every speech engine, in failover order, with its breaker's state
        from hvac_agent.voice.factory import engine_circuits

        circuits.update(engine_circuits(voice))
    return circuits


async def _followups(svc: Services) -> dict[str, Any] | None:
    """The outbox backlog: a growing `oldest_due_s` means nothing is delivering (no worker running?)."""
    followups = svc.followups
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            backlog: dict[str, Any] = await followups.store.backlog()
    except Exception as error:  # noqa: BLE001
        return {"error": type(error).__name__}
    return {**backlog, "runner": "in_process" if followups.in_process else "queue"}


async def health_report(svc: Services) -> dict[str, Any]:
    database, sessions = await asyncio.gather(_check_database(svc), _check_sessions(svc))
    checks = {"database": database, "sessions": sessions}
    circuits = _circuits(svc)
    calls = svc.calls
    down = [name for name, check in checks.items() if check["status"] != "ok"]
    if len(down) == len(checks):
        status = "down"
    elif down or any(c.get("state") == "open" for c in circuits.values() if isinstance(c, dict)):
        status = "degraded"
    else:
        status = "ok"
    for name, value in circuits.items():
        state = value.get("state") if isinstance(value, dict) else None
        svc.metrics.circuit_state.labels(circuit=name).set(1 if state == "open" else 0)
    voice_metrics: dict[str, float | None] = {}
    if svc.voice.engines is not None:
        # JSON has no NaN: a figure with no samples yet is null.
        voice_metrics = {k: (v if math.isfinite(v) else None) for k, v in svc.stream.stats.summary().items()}
    followups = await _followups(svc)
    return {
        "status": status,
        "checks": checks,
        "circuits": circuits,
        "metrics": {
            "active_calls": await calls.active_calls(),
            "streams": svc.stream_slots.active,
            "voice_mode": svc.settings.voice_mode,
            "agent": getattr(calls.agent, "name", type(calls.agent).__name__),
            "understanding": semantic.status(),
            **({"voice": voice_metrics} if voice_metrics else {}),
            **({"followups": followups} if followups else {}),
        },
    }
