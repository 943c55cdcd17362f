"""Operations endpoints and the API's access rules, through the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from tests.e2e.conftest import NOW, Server, make_settings
from tests.e2e.scripts import book_cooperatively
from tests.support.server import app_server
from tests.support.tcp_relay import TcpRelay


def test_health_and_metrics_report_calls(server: Server) -> None:
    health = server.api("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["sessions"]["status"] == "ok"
    assert set(body) >= {"status", "checks", "circuits", "metrics"}
    with server.call() as call:
        book_cooperatively(call)
        metrics = server.api("/metrics").text
        assert "hvac_active_calls 1.0" in metrics
        assert 'hvac_bookings_total{result="booked"} 1.0' in metrics
        call.hang_up()
    metrics = server.api("/metrics").text
    assert "hvac_active_calls 0.0" in metrics
    assert 'hvac_calls_ended_total{outcome="booked"} 1.0' in metrics
    assert "hvac_turn_latency_seconds_bucket" in metrics


def test_ended_calls_leave_no_session_behind(server: Server) -> None:
    import sqlite3

    with server.call() as call:
        call.start()
        call.say("my ac is broken")
        call.hang_up()
    with sqlite3.connect(server.settings.session_db_path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        # The per-number call counter (guard/call_limit.py) and the call bookkeeping (the active set,
        # ended-call markers: sessions/call_registry.py) share the store and expire by themselves.
        not_sessions = " where key not like 'guard:%' and key not like 'calls:%'"
        leftovers = sum(
            db.execute(f"select count(*) from {t}" + (not_sessions if t == "sessions" else "")).fetchone()[0]
            for t in tables
        )
    assert leftovers == 0


def test_appointment_filters_and_lookup(server: Server) -> None:
    with server.call() as call:
        book_cooperatively(call)
    [by_phone] = server.api("/api/appointments", phone="+15125550123").json()
    assert server.api("/api/appointments", phone="5125550123").json() == [by_phone]
    assert server.api("/api/appointments", date="2026-12-02", status="booked").json() == [by_phone]
    assert server.api("/api/appointments", date="2026-12-03").json() == []
    assert server.api(f"/api/appointments/{by_phone['id']}").json() == by_phone
    assert server.api("/api/appointments/999999").status_code == 404
    assert server.api("/api/calls/CAnope").status_code == 404


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[Server]:
    with app_server(lambda port: make_settings(tmp_path, port, api_token="s3cret-token"), clock=FixedClock(NOW)) as s:
        yield s


def test_api_token_is_required_when_configured(token_server: Server) -> None:
    url = token_server.base_url + "/api/appointments"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer s3cret-token"}).json() == []
    assert httpx.get(token_server.base_url + "/health").status_code == 200  # health stays open


@pytest.mark.postgres
@pytest.mark.redis
def test_whole_call_on_postgres_and_redis(pg_redis_server: Server) -> None:
    with pg_redis_server.call() as call:
        done = book_cooperatively(call)
        assert "You're all set" in done.text
        call.hang_up()
    [appointment] = pg_redis_server.api("/api/appointments", call_sid=call.call_sid).json()
    assert appointment["phone"] == "+15125550123" and appointment["window"] == "12:00-16:00"
    health = pg_redis_server.api("/health").json()
    assert health["checks"]["sessions"]["backend"] == "RedisSessionStore"


@pytest.mark.postgres
@pytest.mark.redis
def test_database_and_redis_outages_answer_twiml_and_health_follows(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    """PostgreSQL and Redis behind relays that a test cuts: never a 5xx, health degrades, recovers."""
    pg_relay = TcpRelay(5432)
    redis_relay = TcpRelay(6379)

    def settings(port: int) -> Settings:
        return make_settings(
            tmp_path,
            port,
            database_url=pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{pg_relay.port}"),
            redis_url=redis_url.replace("127.0.0.1:6379", f"127.0.0.1:{redis_relay.port}"),
        )

    try:
        with app_server(settings, clock=FixedClock(NOW)) as server:
            with server.call() as call:
                call.start()
                for line in ["my furnace stopped working", "dana kim", "yes", "4410 duval street 78751", "no", "no"]:
                    call.say(line)
                pg_relay.cut()
                answer = call.say("the first one")  # windows cannot be read: a person takes over
                assert answer.dial_numbers == ["+15125550100"] or answer.gather_action
                health = server.api("/health")
                assert health.status_code == 200 and health.json()["status"] == "degraded"
                assert health.json()["checks"]["database"]["status"] == "down"
            with server.call() as call:
                redis_relay.cut()
                answer = call.start()  # no session store: straight to a person, not a 5xx
                assert answer.dial_numbers == ["+15125550100"]
                down = server.api("/health")
                assert down.status_code == 503 and down.json()["status"] == "down"
            pg_relay.restore()
            redis_relay.restore()
            assert server.api("/health").json()["status"] == "ok"
            with server.call(caller="+15125550188") as call:
                assert "You're all set" in book_cooperatively(call).text  # recovered by itself
    finally:
        pg_relay.close()
        redis_relay.close()
