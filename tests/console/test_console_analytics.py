"""Analytics and A/B tests through the real server: per-call facts, daily roll-ups (JSON), the CSV
export, sticky variants heard by callers, results per variant, ending a test keeps the winner."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hvac_agent.analytics.rollup import wilson_interval
from hvac_agent.analytics.variants import Experiment, Variant
from hvac_agent.clock import FixedClock
from tests.console.conftest import API_TOKEN, PROFILE, Browser, ConsoleServer, serve_console
from tests.e2e.conftest import NOW, make_settings
from tests.e2e.scripts import book_cooperatively
from tests.support.server import app_server

HEADERS = {"Authorization": f"Bearer {API_TOKEN}"}
EXPERIMENT = (
    PROFILE
    + """
[[experiments]]
name = "greeting-1"

[[experiments.variants]]
name = "plain"

[[experiments.variants]]
name = "short"
greeting = "Comfort Zone, this is the virtual assistant. What can I do for you?"
voice = "Polly.Matthew"
"""
)


@pytest.fixture
def ab_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    yield from serve_console(tmp_path, EXPERIMENT)


def test_facts_are_kept_with_the_call_record_and_rolled_up_per_day(console_server: ConsoleServer) -> None:
    with console_server.call() as call:
        call.start()
        call.say("my furnace stopped working and there's no heat")
        call.say("mumble mumble")  # a name not understood
        call.say("dana kim")
        for line in ["yes", "4410 duval street 78751", "no", "no", "the first one", "yes"]:
            call.say(line)
        call.hang_up(120)
    with console_server.call(caller="+15125550140") as quitter:
        quitter.start()
        quitter.say("my AC is blowing warm air")
        quitter.hang_up(20)  # hung up when asked for a name
    with console_server.call(caller="+15125550141") as person:
        person.start()
        person.say("let me talk to a representative")
        person.hang_up(15)

    facts = httpx.get(f"{console_server.base_url}/api/calls/{call.call_sid}", headers=HEADERS).json()["facts"]
    assert facts["outcome"] == "booked" and facts["channel"] == "gather"
    assert facts["turns"] == 9
    assert {"issue", "name", "phone", "street", "zip", "date", "window"} <= set(facts["slots_given"])
    assert facts["misunderstandings"] >= 1
    assert facts["windows_offered"] and facts["read_back"]
    assert len(facts["latency_ms"]) == 9 and all(ms >= 0 for ms in facts["latency_ms"])
    assert "dialogue:rules" in facts["engines"] and facts["transfers"] == []
    transferred = httpx.get(f"{console_server.base_url}/api/calls/{person.call_sid}", headers=HEADERS).json()
    assert [t["reason"] for t in transferred["facts"]["transfers"]] == ["requested"]

    rollup = httpx.get(f"{console_server.base_url}/api/analytics/daily", params={"days": 7}, headers=HEADERS).json()
    [today] = rollup["days"]
    assert today["date"] == "2026-12-02" and today["calls"] == 3 and today["booked"] == 1
    assert today["outcomes"] == {"booked": 1, "abandoned": 1, "transferred": 1}
    assert today["transfers"] == 1 and today["misunderstandings"] >= 1
    assert today["latency"]["samples"] == 11 and today["latency"]["p50_ms"] is not None
    funnel = {step["stage"]: step["calls"] for step in rollup["funnel"]}
    assert funnel["Greeted"] == 3 and funnel["Told us the problem"] == 2 and funnel["Booked"] == 1
    assert rollup["drop_off"] == [{"waiting_for": "name", "calls": 1}]

    exported = httpx.get(f"{console_server.base_url}/api/analytics/calls.csv", headers=HEADERS)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = {row["call_sid"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert set(rows) == {call.call_sid, quitter.call_sid, person.call_sid}
    assert rows[call.call_sid]["outcome"] == "booked" and rows[call.call_sid]["turns"] == "9"
    assert rows[person.call_sid]["transfer_reasons"] == "requested"
    assert rows[quitter.call_sid]["last_asked"] == "name"
    assert httpx.get(f"{console_server.base_url}/api/analytics/daily").status_code == 401  # same access as /api


def test_analytics_page_draws_the_plots_with_their_numbers(console_server: ConsoleServer, browser: Browser) -> None:
    with console_server.call() as call:
        book_cooperatively(call)
        call.hang_up(90)
    page = browser.get("/console/analytics")
    assert page.status_code == 200
    assert page.text.count("<svg viewBox") == 4 and page.text.count('role="img"') == 4
    assert "Calls and outcomes per day" in page.text and "booked 1" in page.text  # the chart's description
    assert "Booked: 1" in page.text  # the funnel's last step
    csv_export = browser.get("/console/analytics.csv")
    assert csv_export.status_code == 200 and call.call_sid in csv_export.text


def test_variants_are_sticky_per_caller_heard_and_compared_and_ending_keeps_the_winner(
    ab_server: ConsoleServer,
) -> None:
    experiment = Experiment(name="greeting-1", variants=[Variant(name="plain"), Variant(name="short")])
    callers = [f"+1512555{n:04d}" for n in range(1000, 1012)]
    arms = {caller: experiment.assign(caller).name for caller in callers}
    assert set(arms.values()) == {"plain", "short"}  # both arms get callers
    short_caller = next(c for c, arm in arms.items() if arm == "short")
    plain_caller = next(c for c, arm in arms.items() if arm == "plain")

    for attempt in range(2):  # the same caller hears the same variant on every call
        with ab_server.call(caller=short_caller) as call:
            greeting = call.start()
            assert greeting.text == "Comfort Zone, this is the virtual assistant. What can I do for you?", attempt
            assert 'voice="Polly.Matthew"' in greeting.xml
            if attempt == 0:
                book_cooperatively_after_greeting(call)
            call.hang_up(60)
    with ab_server.call(caller=plain_caller) as call:
        greeting = call.start()
        assert greeting.text.startswith("Comfort Zone Heating & Air, virtual assistant here")  # the built-in one
        assert "Polly.Matthew" not in greeting.xml
        call.hang_up(10)

    results = httpx.get(f"{ab_server.base_url}/api/analytics/experiments", headers=HEADERS).json()
    [test] = results
    by_variant = {v["variant"]: v for v in test["variants"]}
    assert (by_variant["short"]["calls"], by_variant["short"]["booked"]) == (2, 1)
    assert (by_variant["plain"]["calls"], by_variant["plain"]["booked"]) == (1, 0)
    low, high = wilson_interval(1, 2)  # type: ignore[misc]
    assert by_variant["short"]["ci_low"] == pytest.approx(low, abs=1e-4)
    assert by_variant["short"]["ci_high"] == pytest.approx(high, abs=1e-4)

    browser = ab_server.browser()
    browser.sign_in()
    page = browser.get("/console/experiments")
    assert "End test, keep short" in page.text and "50%" in page.text
    ended = browser.post("/console/experiments/greeting-1/end", {"winner": "short"})
    assert "every caller now hears short" in browser.get(ended.headers["location"]).text
    saved = ab_server.profile_file.read_text()
    assert 'status = "ended"' in saved and 'winner = "short"' in saved
    with ab_server.call(caller=plain_caller) as call:  # everyone, the plain arm too, now hears the winner
        assert call.start().text == "Comfort Zone, this is the virtual assistant. What can I do for you?"
    again = browser.post("/console/experiments/greeting-1/end", {"winner": "plain"})
    assert "already ended" in browser.get(again.headers["location"]).text
    browser.close()


def book_cooperatively_after_greeting(call: object) -> None:
    from tests.e2e.scripts import COOPERATIVE

    for line in COOPERATIVE:
        call.say(line)  # type: ignore[attr-defined]
    assert "Shall I book it" in call.last.text  # type: ignore[attr-defined]
    call.say("yes")  # type: ignore[attr-defined]


def test_without_a_token_the_console_answers_loopback_only_never_forwarded_clients(tmp_path: Path) -> None:
    settings = functools.partial(make_settings, tmp_path)  # no HVAC_API_TOKEN
    with app_server(settings, clock=FixedClock(NOW), configure_logs=False) as server:
        base = server.base_url
        assert httpx.get(base + "/console").status_code == 200  # a loopback peer needs no sign-in
        assert httpx.get(base + "/console/login", follow_redirects=False).status_code == 303
        for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
            forwarded = httpx.get(base + "/console", headers=header)
            api = httpx.get(base + "/api/appointments", headers=header)
            # The console gives the same answer as /api for a request a proxy forwarded.
            assert forwarded.status_code == api.status_code, header
        assert httpx.get(base + "/console", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
