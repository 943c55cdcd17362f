"""The outbox on real SQLite and PostgreSQL: events commit or roll back with their change; claims
are exclusive; failures back off and end as dead letters. Plus the pure rules (keywords, routing)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import create_engine, migrate
from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.state import BookingRequest
from hvac_agent.followups.consent import keyword
from hvac_agent.followups.deliver import Channels, Deliverer
from hvac_agent.followups.dispatcher import Dispatcher, backoff_s
from hvac_agent.followups.models import outbox_events
from hvac_agent.followups.routing import Routes, plan
from hvac_agent.followups.store import OutboxStore
from hvac_agent.followups.webhooks import WebhookSender

NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)  # Tuesday 08:00 in Austin


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('db')}/hvac.db"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    await migrate(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


def request_for(call_sid: str, window: str = "12:00-16:00") -> BookingRequest:
    return BookingRequest(
        call_sid=call_sid,
        customer_name="Dana Kim",
        phone="+15125550123",
        address="4410 Duval Street",
        unit=None,
        zip="78751",
        issue="no heat",
        issue_category="no_heat",
        urgency="routine",
        date=dt.date(2026, 12, 1),
        window=window,
    )


async def _events(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(outbox_events.c.kind).order_by(outbox_events.c.id))).scalars())


async def test_events_commit_and_roll_back_with_their_change(engine: AsyncEngine) -> None:
    profile = BusinessProfile(technicians_per_window=1)
    service = BookingService(engine, profile, FixedClock(NOW))
    assert (await service.book(request_for("CA1"))).ok
    assert (await service.book(request_for("CA1"))).reason == "already_booked"  # no second event
    full = await service.book(request_for("CA2"))
    assert (full.ok, full.reason) == (False, "window_full")  # rolled back: no event either
    [appointment] = await service.list_appointments()
    assert (
        await service.reschedule(appointment.id, date=dt.date(2026, 12, 2), window="08:00-12:00", call_sid="CA3")
    ).ok
    assert (await service.cancel(appointment.id, call_sid="CA4")).ok
    assert await _events(engine) == ["booked", "rescheduled", "cancelled"]
    [past] = await service.past_bookings("+15125550123")  # the query a returning caller's greeting needs
    assert (past.id, past.status, past.address) == (appointment.id, "cancelled", "4410 Duval Street")
    assert await service.past_bookings("+15125550999") == []
    records = CallRecords(engine, FixedClock(NOW))
    from hvac_agent.followups.events import call_ended_event

    for _ in range(2):  # the end of a call is reported twice (stream stop + status callback)
        await records.finish_call("CA1", ended_at=NOW, follow_up=call_ended_event("CA1", None))
    assert (await _events(engine))[-1:] == ["call_ended"] and len(await _events(engine)) == 4


async def test_claims_are_exclusive_and_failures_back_off_into_a_dead_letter(engine: AsyncEngine) -> None:
    clock = FixedClock(NOW)
    profile = BusinessProfile()
    service = BookingService(engine, profile, clock)
    assert (await service.book(request_for("CA1"))).ok
    store = OutboxStore(engine, clock, lease_s=60)
    routes = Routes(timezone=profile.timezone, export_webhook_url="http://127.0.0.1:9/nobody-listens")
    sender = WebhookSender("plain-secret")
    deliverer = Deliverer(
        channels=Channels(webhooks=sender),
        profile=profile,
        consent=None,  # type: ignore[arg-type]
        booking=service,
        records=CallRecords(engine, clock),
        engine=engine,
        clock=clock,
    )
    dispatcher = Dispatcher(
        store=store, deliverer=deliverer, routes=routes, profile=profile, clock=clock, max_attempts=3, retry_base_s=10
    )
    try:
        [(delivery_id, _)] = await dispatcher.prepare()
        first, second = await asyncio.gather(store.claim(delivery_id), store.claim(delivery_id))
        assert (first is None) != (second is None)  # exactly one process owns an attempt
        claimed = first or second
        assert claimed is not None and claimed.attempts == 1 and not claimed.in_doubt
        clock.advance(61)  # its process died: the lease runs out and the next claim is in doubt
        again = await store.claim(delivery_id)
        assert again is not None and again.attempts == 2 and again.in_doubt
        assert (
            await store.finish(claimed, deliverer_result := await deliverer.deliver(again), retry_in_s=10, dead_after=3)
            == "lost"
        )  # the first owner's late finish changes nothing
        assert deliverer_result.status == "retry" and "unreachable" in str(deliverer_result.detail)
        assert await store.finish(again, deliverer_result, retry_in_s=10, dead_after=3) == "pending"
        assert await dispatcher.process(delivery_id) is None  # not due yet
        clock.advance(11)
        assert await dispatcher.process(delivery_id) == "dead"  # the third attempt was the last
        backlog = await store.backlog()
        assert (backlog["dead"], backlog["due"]) == (1, 0)
    finally:
        await sender.aclose()


def test_backoff_doubles_and_is_capped() -> None:
    assert 8 <= backoff_s(1, 10) <= 12 and 16 <= backoff_s(2, 10) <= 24 and 64 <= backoff_s(4, 10) <= 96
    assert backoff_s(40, 10) <= 3600 * 1.2


@pytest.mark.parametrize(
    ("body", "opt_out_type", "expected"),
    [
        ("STOP", None, "stop"),
        (" stop. ", None, "stop"),
        ("Cancel", None, "stop"),
        ("unsubscribe", None, "stop"),
        ("START", None, "start"),
        ("yes", None, "start"),
        ("HELP", None, "help"),
        ("info", None, "help"),
        ("please stop calling", None, None),
        ("can you come earlier", None, None),
        ("arret", "STOP", "stop"),
    ],
)
def test_keywords(body: str, opt_out_type: str | None, expected: str | None) -> None:
    assert keyword(body, opt_out_type) == expected


def test_routing_follows_configuration() -> None:
    routes = Routes(
        timezone="America/Chicago",
        sms=True,
        alert_sms_to=("+15125550177",),
        oncall_number="+15125550111",
        alert_webhook_url="https://office.example/hooks",
        reminder_hour=17,
    )
    appointment = {"phone": "+15125550123", "date": "2026-12-03"}
    booked = plan("booked", {"appointment": appointment}, NOW, routes)
    assert [(p.channel, p.target) for p in booked] == [("sms_caller", "+15125550123"), ("sms_reminder", "+15125550123")]
    assert booked[1].not_before == dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)
    assert [p.channel for p in plan("cancelled", {"appointment": appointment}, NOW, routes)] == ["sms_caller"]
    emergency = plan("emergency", {"outcome": "emergency"}, NOW, routes)
    assert [p.target for p in emergency] == ["+15125550111", "+15125550177", "https://office.example/hooks"]
    message = plan("message", {"outcome": "message"}, NOW, routes)
    assert [p.target for p in message] == ["+15125550177", "https://office.example/hooks"]
    assert plan("call_ended", {}, NOW, routes) == []  # no LLM: the built summary stands
    assert plan("booked", {"appointment": appointment}, NOW, Routes(timezone="America/Chicago")) == []
