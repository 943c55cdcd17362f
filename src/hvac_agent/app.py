"""FastAPI factory: builds stores, engines and the agent in the lifespan (never at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

from hvac_agent.analytics.store import FactsStore
from hvac_agent.api import router as api_router
from hvac_agent.booking.db import close_raw_writer, create_engine, run_migrations
from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.business.source import ProfileSource
from hvac_agent.caller_caches import PeriodicForget
from hvac_agent.calls import CallService
from hvac_agent.clock import SYSTEM_CLOCK, Clock, SystemClock
from hvac_agent.config import BusinessProfile, Settings, load_profile
from hvac_agent.console.mount import mount_console
from hvac_agent.dialogue.agent import Agent
from hvac_agent.dialogue.degrade import build_agent as build_llm_agent
from hvac_agent.dialogue.nlu import semantic
from hvac_agent.dialogue.nlu import warm_up as nlu_warm_up
from hvac_agent.followups.api import router as followups_router
from hvac_agent.followups.runtime import build_followups
from hvac_agent.guard.access import LOCKED as API_LOCKED
from hvac_agent.guard.access import ApiAccessGuard
from hvac_agent.guard.access import locked as api_locked
from hvac_agent.guard.bodies import BodyGuard
from hvac_agent.guard.call_limit import NewCallLimit
from hvac_agent.guard.peers import TrustedProxies
from hvac_agent.guard.streams import StreamCap, StreamSlots
from hvac_agent.observability.logging import configure_logging, get_logger
from hvac_agent.observability.metrics import Metrics, route_label
from hvac_agent.services import Services, StreamWiring, VoiceSupply, services_of
from hvac_agent.sessions.factory import make_session_store
from hvac_agent.sessions.store import SessionStore
from hvac_agent.telephony.media_stream import STREAM_PATH, MediaStreamLane
from hvac_agent.telephony.security import TwilioSignatureMiddleware
from hvac_agent.telephony.sms import router as sms_router
from hvac_agent.telephony.stream_secret import StreamSecret, StreamTokens
from hvac_agent.telephony.webhooks import router as webhooks_router
from hvac_agent.voice.factory import build_voice, speech_engine_labels
from hvac_agent.voice.pipeline import CallServiceResponder, PipelineConfig, Responder
from hvac_agent.voice.runtime import tune_gc_for_audio
from hvac_agent.voice.stats import VoiceStats

log = get_logger("hvac_agent.app")


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def build_agent(settings: Settings, clock: Clock, profile: BusinessProfile | None = None) -> Agent:
    """The LLM agent with its degradation ladder when configured, else the rules engine."""
    return build_llm_agent(settings, clock=clock, profile=profile or load_profile(settings.business_file))


@dataclass
class CoreServices:
    """What a call needs, shared by `serve` and `chat`: database, session store, agent, calls."""

    engine: AsyncEngine
    store: SessionStore
    booking: BookingService
    records: CallRecords
    calls: CallService
    facts: FactsStore

    async def aclose(self) -> None:
        closer = getattr(self.calls.agent, "aclose", None)
        if callable(closer):
            await closer()
        await self.records.aclose()  # the call-record turns written behind
        await self.store.close()
        await close_raw_writer(self.engine)
        await self.engine.dispose()


async def start_services(
    settings: Settings, clock: Clock, profile: BusinessProfile, metrics: Metrics, *, agent: Agent | None = None
) -> CoreServices:
    """Migrate the database, open the stores, build and warm up the agent (shared by serve and chat)."""
    engine = create_engine(settings.database_url)
    await run_migrations(engine)
    store = make_session_store(settings, clock)
    booking = BookingService(engine, profile, clock)
    records = CallRecords(engine, clock, on_failure=metrics.call_record_failed)
    facts = FactsStore(engine, clock)
    the_agent = agent or build_agent(settings, clock, profile)
    # Slow first-use loads (dateparser, usaddress, the embedding model) happen now, off the loop.
    await asyncio.to_thread(nlu_warm_up)
    log.info("understanding", mode=semantic.status())
    agent_warm_up = getattr(the_agent, "warm_up", None)
    if callable(agent_warm_up):
        await agent_warm_up()
    calls = CallService(
        store=store,
        records=records,
        booking=booking,
        agent=the_agent,
        profile=profile,
        clock=clock,
        metrics=metrics,
        session_ttl_s=settings.session_ttl_s,
        facts=facts,
    )
    calls.speech_engines = speech_engine_labels(settings)
    return CoreServices(engine=engine, store=store, booking=booking, records=records, calls=calls, facts=facts)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    voice_clock: Clock | None = None,
    agent: Agent | None = None,
    responder: Responder | None = None,
    voice_config: PipelineConfig | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    """The app. `clock` is business time ("now", TTLs, limits); `voice_clock` paces audio and runs
    the speech side's timers (real time unless a test or the simulator speeds it up); `responder`
    and `voice_config` replace how stream calls reach the dialogue and how they take turns."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    voice_clock = voice_clock or SYSTEM_CLOCK  # real time for audio, whatever the business clock says
    profile = load_profile(settings.business_file)
    metrics = Metrics()
    stream_slots = StreamSlots(settings.max_streams)

    def refused(reason: str) -> None:
        metrics.requests_refused.labels(reason=reason).inc()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging(
                json_lines=settings.log_format == "json", level=settings.log_level, log_pii=settings.log_pii
            )
        if not settings.twilio_auth_token:
            log.warning("twilio_signatures_not_checked", hint="set TWILIO_AUTH_TOKEN in production")
        if api_locked(settings):
            log.warning("api_locked", reason=API_LOCKED)
        core = await start_services(settings, clock, profile, metrics, agent=agent)

        def apply_profile(new: BusinessProfile) -> None:
            """A reloaded profile, for every part of this worker that reads one."""
            core.calls.profile = new
            core.booking.use_profile(new)

        source = ProfileSource(settings.business_file, profile, apply_profile)
        core.calls.profile_check = source.check
        followups = build_followups(
            settings, profile, engine=core.engine, booking=core.booking, records=core.records, clock=clock
        )
        if followups.in_process:
            followups.dispatcher.start()  # embedded default; with Redis, `hvac-agent worker` delivers
        # one clock for the speech side: pacing, timers, breakers and rate limits
        voice = VoiceSupply(settings, voice_clock)
        if settings.voice_mode == "stream":
            voice.engines = build_voice(settings, clock=voice_clock)
        # The start-up heap (~240k objects: models, schemas, routes) is frozen in both modes: no
        # full collection pausing a stream's audio, and none scanning it again and again behind
        # gather turns (about 0.3 ms of each turn's CPU went to that).
        tune_gc_for_audio()
        tokens = StreamTokens(StreamSecret(settings, core.store), clock, on_refuse=refused)
        app.state.services = Services(
            settings=settings,
            clock=clock,
            metrics=metrics,
            engine=core.engine,
            store=core.store,
            booking=core.booking,
            records=core.records,
            calls=core.calls,
            facts=core.facts,
            profile_source=source,
            call_limit=NewCallLimit(
                core.store, clock, limit=settings.calls_per_number, window_s=settings.calls_per_number_window_s
            ),
            stream_slots=stream_slots,
            stream_tokens=tokens,
            followups=followups,
            stream=StreamWiring(
                voice=voice,
                responder=responder or CallServiceResponder(core.calls),
                clock=voice_clock,
                stats=VoiceStats(),
                config=voice_config,
                tokens=tokens,
            ),
        )
        # A forget request reaches one worker: every worker empties its caches of caller words on
        # this period, on the business clock (virtual time in tests).
        forgetting = PeriodicForget(clock)
        forgetting.start()
        log.info(
            "started",
            voice_mode=settings.voice_mode,
            agent=type(core.calls.agent).__name__,
            sessions=type(core.store).__name__,
            database=core.engine.dialect.name,
        )
        try:
            yield
        finally:
            forgetting.cancel()
            await voice.aclose()
            await followups.aclose()
            await core.aclose()

    # FastAPI's native OpenTelemetry looks up three global providers on every request; hvac-agent
    # reports through Prometheus metrics and structured logs, so it is switched off.
    app = FastAPI(title="hvac-agent", version="0.1.0", lifespan=lifespan, telemetry=NO_TELEMETRY)
    app.include_router(webhooks_router)
    app.include_router(api_router)
    mount_console(app)
    app.include_router(followups_router)
    app.include_router(sms_router)

    def signature_rejected(scope: Scope) -> None:
        metrics.webhook_rejected.labels(path=route_label(app.router.routes, scope, (STREAM_PATH,))).inc()

    # Innermost first; each layer refuses before the ones inside it run.
    # WS /twilio/stream, served on raw ASGI (see its docstring)
    app.add_middleware(MediaStreamLane, wiring=lambda: services_of(app).stream)
    app.add_middleware(StreamCap, slots=stream_slots, path=STREAM_PATH, on_refuse=refused)
    app.add_middleware(  # a forged stream upgrade is refused before it takes a slot or reaches the lane
        TwilioSignatureMiddleware,
        auth_token=settings.twilio_auth_token,
        public_url=settings.effective_public_url,
        on_reject=signature_rejected,
    )
    app.add_middleware(
        BodyGuard, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s, on_refuse=refused
    )
    app.add_middleware(ApiAccessGuard, settings=settings)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxy_list)  # outermost: sees the real peer
    return app
