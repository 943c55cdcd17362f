"""Command line: `serve`, `worker`, `chat`, `appointments`, `simulate`."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import uuid
from typing import Any

import click

from hvac_agent import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hvac-agent")
def main() -> None:
    """hvac-agent: an AI phone agent that answers HVAC service calls and books technician visits.

    Configuration comes from environment variables (and a `.env` file); with none at all it runs on
    SQLite, an embedded session store, the rules dialogue engine and offline speech engines.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Worker processes (more than one needs HVAC_REDIS_URL so any worker can serve any turn).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the server (Twilio webhooks, media stream, API, health, metrics)."""
    import uvicorn

    from hvac_agent.config import Settings
    from hvac_agent.guard.access import LOCKED, locked

    settings = Settings()
    if not settings.public_url:
        os.environ["HVAC_PUBLIC_URL"] = f"http://{host}:{port}"
    os.environ["HVAC_LISTEN_HOST"] = host  # the app judges /api access by where it listens
    if workers > 1 and not settings.redis_url:
        raise click.UsageError("--workers > 1 needs HVAC_REDIS_URL (the embedded store is per machine)")
    if locked(settings.model_copy(update={"listen_host": host})):
        click.echo(f"hvac-agent (listening on {host}): {LOCKED}", err=True)
    uvicorn.run(
        "hvac_agent.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        # Forwarded headers are ours to judge (HVAC_TRUSTED_PROXIES, guard/peers.py): uvicorn's own
        # handling believes any loopback peer, so a proxy on this host would make everyone local.
        proxy_headers=False,
        ws="websockets-sansio" if _has_sansio() else "auto",
    )


def _has_sansio() -> bool:
    try:
        import uvicorn.protocols.websockets.websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True


@main.command()
@click.option("--url", default="http://127.0.0.1:8000/health", show_default=True, help="The server's /health.")
@click.option("--timeout", "timeout_s", default=4.0, show_default=True, help="Seconds to wait for an answer.")
def healthcheck(url: str, timeout_s: float) -> None:
    """Exit 0 when the server can take calls (/health answers 200: ok or degraded), else 1.

    For container HEALTHCHECKs and service managers: no curl needed in the image.
    """
    import httpx

    try:
        response = httpx.get(url, timeout=timeout_s)
        status = response.json().get("status", "?")
    except Exception as error:  # noqa: BLE001 - any failure is "unhealthy"
        click.echo(f"unhealthy: {type(error).__name__}", err=True)
        sys.exit(1)
    click.echo(status)
    sys.exit(0 if response.status_code == 200 else 1)


@main.command()
def worker() -> None:
    """Run follow-up jobs (texts, office alerts, exports, summaries, the daily digest) from the job
    queue, in this process. Needs HVAC_REDIS_URL; run as many as the office needs. With the embedded
    default (no Redis) the server runs follow-ups itself and no worker is needed.
    """
    from hvac_agent.config import Settings

    settings = Settings()
    if not settings.redis_url:
        raise click.UsageError("no job queue configured: set HVAC_REDIS_URL (without it `serve` runs follow-ups)")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # arq's Worker runs on the current loop
    try:
        loop.run_until_complete(_worker(settings)).run()
    finally:
        loop.close()


async def _worker(settings: Any) -> Any:
    from hvac_agent.booking.db import create_engine, run_migrations
    from hvac_agent.booking.records import CallRecords
    from hvac_agent.booking.service import BookingService
    from hvac_agent.clock import SystemClock
    from hvac_agent.config import load_profile
    from hvac_agent.followups.queue import make_worker
    from hvac_agent.followups.runtime import build_followups
    from hvac_agent.observability.logging import configure_logging

    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level, log_pii=settings.log_pii)
    clock = SystemClock()
    profile = load_profile(settings.business_file)
    engine = create_engine(settings.database_url)
    await run_migrations(engine)
    booking = BookingService(engine, profile, clock)
    followups = build_followups(
        settings, profile, engine=engine, booking=booking, records=CallRecords(engine, clock), clock=clock
    )

    async def close() -> None:
        await followups.aclose()
        await engine.dispose()

    return make_worker(settings, followups.dispatcher, on_close=close)


@main.command()
@click.option("--caller", default="+15125550123", show_default=True, help="Caller ID (Twilio `From`).")
@click.option("--call-sid", default=None, help="Call SID to use (default: a new random one).")
def chat(caller: str, call_sid: str | None) -> None:
    """Talk to the dialogue core as if on a call: lines from stdin, the agent's words on stdout.

    An empty line is silence; `/keypad 5125550123` presses keypad digits. Pipeable:
    `printf 'my furnace is out\\n...' | hvac-agent chat`. The resulting booking is printed at the end.
    """
    asyncio.run(_chat(caller, call_sid or f"CHAT{uuid.uuid4().hex[:30]}"))


async def _chat(caller: str, call_sid: str) -> None:
    from hvac_agent.app import start_services
    from hvac_agent.clock import SystemClock
    from hvac_agent.config import Settings, load_profile
    from hvac_agent.dialogue.state import CallerSaid, DigitsPressed, Event, Silence
    from hvac_agent.observability.logging import configure_logging
    from hvac_agent.observability.metrics import Metrics

    settings = Settings()
    configure_logging(json_lines=True, level="WARNING", log_pii=settings.log_pii)
    services = await start_services(settings, SystemClock(), load_profile(settings.business_file), Metrics())
    calls, booking = services.calls, services.booking
    interactive = sys.stdin.isatty()
    try:
        outcome = await calls.start(call_sid, caller)
        click.echo(f"Agent: {outcome.reply.say}")
        reply = outcome.reply
        while reply.action == "listen":
            if interactive:
                click.echo("You: ", nl=False)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            text = line.strip()
            if not interactive:
                click.echo(f"Caller: {text}")
            event: Event
            if text.startswith("/keypad"):
                event = DigitsPressed(digits="".join(ch for ch in text if ch.isdigit()))
            elif text:
                event = CallerSaid(text=text)
            else:
                event = Silence()
            reply = (await calls.turn(call_sid, event)).reply
            click.echo(f"Agent: {reply.say}")
            if reply.action == "transfer":
                click.echo(f"[transferring the call to {reply.transfer_to}]")
        state = await calls.state(call_sid)
        await calls.end_call(call_sid)
        found = await booking.list_appointments(call_sid=call_sid)
        if found:
            for appointment in found:
                click.echo("Booked: " + _describe(appointment.model_dump(mode="json")))
        else:
            click.echo(f"No booking made (outcome: {state.outcome if state else 'unknown'}).")
    finally:
        await services.aclose()


def _describe(a: dict[str, Any]) -> str:
    unit = f" {a['unit']}" if a.get("unit") else ""
    return (
        f"appointment #{a['id']} for {a['customer_name']} ({a['phone']}) at {a['address']}{unit}, "
        f"{a['zip']} on {a['date']} {a['window']}: {a['issue']} [{a['issue_category']}, {a['urgency']}]"
    )


@main.command()
@click.argument("url")
@click.argument("lines", nargs=-1)
@click.option(
    "--auth-token",
    envvar="TWILIO_AUTH_TOKEN",
    default=None,
    help="Sign the WebSocket upgrade like Twilio (defaults to TWILIO_AUTH_TOKEN).",
)
@click.option("--caller", default="+15125550123", show_default=True, help="Caller ID sent in the stream start.")
@click.option(
    "--api-token",
    envvar="HVAC_API_TOKEN",
    default=None,
    help="The server's API token, to read the agent's words from the call record where the "
    "offline recogniser can't run (defaults to HVAC_API_TOKEN).",
)
def simulate(url: str, lines: tuple[str, ...], auth_token: str | None, caller: str, api_token: str | None) -> None:
    """Phone a stream-mode server as a synthetic caller: speaks LINES as audio, one per agent turn.

    URL is the media-stream WebSocket, e.g. ws://127.0.0.1:8000/twilio/stream. A line `dtmf:78751`
    presses keypad digits. Prints what the agent said (offline speech recognition) and each line.
    """
    from hvac_agent.tools.simulator import run_script

    asyncio.run(
        run_script(url, list(lines), auth_token=auth_token, caller=caller, echo=click.echo, api_token=api_token)
    )


@main.command()
@click.option(
    "--date",
    "date_",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only this day (YYYY-MM-DD, business timezone).",
)
@click.option(
    "--status", type=click.Choice(["booked", "cancelled", "completed"]), default=None, help="Only this status."
)
def appointments(date_: dt.datetime | None, status: str | None) -> None:
    """List bookings as a table."""
    rows = asyncio.run(_appointments(date_.date() if date_ else None, status))
    if not rows:
        click.echo("No appointments.")
        return
    headers = ["id", "date", "window", "status", "urgency", "customer_name", "phone", "address", "zip", "issue"]
    table = [[str(r.get(h) or "") for h in headers] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


async def _appointments(date: dt.date | None, status: str | None) -> list[dict[str, Any]]:
    from hvac_agent.booking.db import create_engine, run_migrations
    from hvac_agent.booking.service import BookingService
    from hvac_agent.clock import SystemClock
    from hvac_agent.config import Settings, load_profile

    settings = Settings()
    engine = create_engine(settings.database_url)
    try:
        await run_migrations(engine)
        service = BookingService(engine, load_profile(settings.business_file), SystemClock())
        found = await service.list_appointments(date=date, status=status)
        return [a.model_dump(mode="json") for a in found]
    finally:
        await engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    main()
