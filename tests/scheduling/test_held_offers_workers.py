"""Held offers across workers: many callers on two server processes sharing Redis and PostgreSQL,
all taking the first window they are offered at the same moment. Every one of them books, no window
goes over capacity, and nobody is transferred for a lost race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import AUTH_TOKEN
from tests.e2e.scripts import COOPERATIVE
from tests.support.server import ServerProcess, free_port
from tests.support.twilio_sim import TwilioCall, Twiml

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

CALLERS = 12
TECHNICIANS = 2  # per window: twelve callers need six windows, and each is offered three


def _in_lockstep(calls: list[TwilioCall], step: Callable[[TwilioCall], Twiml]) -> list[Twiml]:
    """Every caller takes `step` at the same moment (a barrier), on its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(call: TwilioCall) -> Twiml:
        barrier.wait(timeout=60)
        return step(call)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_callers_on_two_workers_all_book_the_first_window_offered(
    tmp_path: Path, redis_url: str, pg_url: str
) -> None:
    profile = tmp_path / "business.toml"
    profile.write_text(f"technicians_per_window = {TECHNICIANS}\n", encoding="utf-8")
    public = f"http://127.0.0.1:{free_port()}"
    env = {
        "HVAC_DATABASE_URL": pg_url,
        "HVAC_REDIS_URL": redis_url,
        "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
        "HVAC_BUSINESS_FILE": str(profile),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HVAC_PUBLIC_URL": public,
        "HVAC_LOG_LEVEL": "WARNING",
    }
    workers = [ServerProcess(env), ServerProcess(env)]
    for worker in workers:
        worker.launch()
    for worker in workers:
        worker.wait()
    calls = [
        TwilioCall(workers[i % 2].base_url, AUTH_TOKEN, public_url=public, caller=f"+1512555{1000 + i:04d}")
        for i in range(CALLERS)
    ]
    turn = {"n": 0}

    def next_worker(call: TwilioCall) -> None:
        index = calls.index(call)
        call.base_url = workers[(index + turn["n"]) % 2].base_url  # each turn on the other worker

    try:
        for call in calls:
            call.start()
        for line in COOPERATIVE[:-1]:  # problem … to the windows offered, all callers at once
            turn["n"] += 1
            _in_lockstep(calls, lambda c, line=line: (next_worker(c), c.say(line))[1])
        offered = [call.last.text for call in calls if call.last is not None]
        assert all("Which works best" in text for text in offered), offered
        turn["n"] += 1
        read_backs = _in_lockstep(calls, lambda c: (next_worker(c), c.say("the first one"))[1])
        assert all("Shall I book it" in twiml.text for twiml in read_backs), [t.text for t in read_backs]
        assert all("just taken" not in twiml.text for twiml in read_backs)  # held: nobody lost a window heard
        turn["n"] += 1
        done = _in_lockstep(calls, lambda c: (next_worker(c), c.say("yes"))[1])
        for twiml in done:
            assert "You're all set" in twiml.text, twiml.text
            assert twiml.dial_numbers == []  # nobody transferred
        booked = httpx.get(f"{workers[0].base_url}/api/appointments", params={"status": "booked"}).json()
        assert sorted(a["call_sid"] for a in booked) == sorted(c.call_sid for c in calls)
        per_window = Counter((a["date"], a["window"]) for a in booked)
        assert max(per_window.values()) <= TECHNICIANS, per_window
        for call in calls:
            record = httpx.get(f"{workers[1].base_url}/api/calls/{call.call_sid}").json()
            assert record["outcome"] == "booked"

        # A profile change reaches every worker without a restart: reloaded through one worker's
        # API, seen by the other at its next call's start.
        profile.write_text(f'name = "Polar Air"\ntechnicians_per_window = {TECHNICIANS}\n', encoding="utf-8")
        reloaded = httpx.post(f"{workers[0].base_url}/api/profile/reload", timeout=10).json()
        assert reloaded["changed"] and reloaded["name"] == "Polar Air"
        for worker in workers:
            with TwilioCall(worker.base_url, AUTH_TOKEN, public_url=public, caller="+15125559999") as later:
                assert "Polar Air" in later.start().text
    finally:
        for call in calls:
            call.close()
        for worker in workers:
            worker.stop()
