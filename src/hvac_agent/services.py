"""The app's services, typed and built once at start-up (`create_app`'s lifespan).

Routes, sockets and health checks reach them through `services(conn)` (or the `Svc` dependency)
instead of attributes looked up on `app.state`: a missing service is a start-up error, and mypy
sees every use. Tests reach the same object through `services_of(app)`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from hvac_agent.analytics.store import FactsStore
from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.business.source import ProfileSource
from hvac_agent.calls import CallService
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile, Settings
from hvac_agent.followups.runtime import Followups
from hvac_agent.guard.call_limit import NewCallLimit
from hvac_agent.guard.streams import StreamSlots
from hvac_agent.observability.logging import get_logger
from hvac_agent.observability.metrics import Metrics
from hvac_agent.sessions.store import SessionStore
from hvac_agent.telephony.stream_secret import StreamTokens
from hvac_agent.voice.pipeline import PipelineConfig, Responder, VoiceEngines
from hvac_agent.voice.stats import VoiceStats

log = get_logger("hvac_agent.services")


@dataclass(eq=False)
class VoiceSupply:
    """The process's speech engines: built in the lifespan (stream mode) or on first use (the
    softphone in gather mode, where building them at start would cost seconds nobody needs)."""

    settings: Settings
    clock: Clock
    engines: VoiceEngines | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _warming: asyncio.Task[VoiceEngines] | None = None

    async def get(self) -> VoiceEngines:
        if self.engines is not None:
            return self.engines
        async with self._lock:
            if self.engines is None:
                from hvac_agent.voice.factory import build_voice  # the engines' modules load on first use

                self.engines = await asyncio.to_thread(build_voice, self.settings, clock=self.clock)
        return self.engines

    def warm(self) -> None:
        """Start building now, in the background (the softphone page, while it is read)."""
        if self.engines is not None or self._warming is not None:
            return
        warming = self._warming = asyncio.create_task(self.get())  # kept: a task needs an owner

        def warmed(task: asyncio.Task[VoiceEngines]) -> None:
            if not task.cancelled() and task.exception() is not None:
                log.warning("softphone_engines_not_ready", error=repr(task.exception()))
                self._warming = None  # the call builds them (and reports) itself

        warming.add_done_callback(warmed)

    async def aclose(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
        if self.engines is not None:
            await self.engines.aclose()


@dataclass(frozen=True, eq=False)
class StreamWiring:
    """What a media stream (Twilio's or the console softphone's) needs to run a call."""

    voice: VoiceSupply
    responder: Responder
    clock: Clock  # pacing, timers and breakers of the speech side
    stats: VoiceStats
    config: PipelineConfig | None = None
    tokens: StreamTokens | None = None  # None: no per-call token on `start` (benches)


@dataclass(frozen=True, eq=False)
class Services:
    """Everything the routes use. Fields never change after start-up; the live business profile
    is the profile source's (`profile`), which a reload replaces for every user at once."""

    settings: Settings
    clock: Clock  # business time: "now", TTLs, call limits
    metrics: Metrics
    engine: AsyncEngine
    store: SessionStore
    booking: BookingService
    records: CallRecords
    calls: CallService
    facts: FactsStore
    profile_source: ProfileSource
    call_limit: NewCallLimit
    stream_slots: StreamSlots
    stream_tokens: StreamTokens
    followups: Followups
    stream: StreamWiring

    @property
    def profile(self) -> BusinessProfile:
        return self.profile_source.profile

    @property
    def voice(self) -> VoiceSupply:
        return self.stream.voice

    def public_url(self) -> str:
        return self.settings.effective_public_url()


def services_of(app: Starlette) -> Services:
    """The app's services (set once by the lifespan)."""
    try:
        found = app.state.services
    except AttributeError:  # starlette's State raises it for a name never set
        found = None
    if not isinstance(found, Services):
        raise RuntimeError("the app has not started: no services yet")
    return found


def services(conn: HTTPConnection) -> Services:
    """A route's services."""
    return services_of(conn.app)


async def _services(conn: HTTPConnection) -> Services:
    # Async on purpose: FastAPI runs a plain `def` dependency on a worker thread, a hop per request.
    return services_of(conn.app)


Svc = Annotated[Services, Depends(_services)]  # `svc: Svc` in a route's parameters
