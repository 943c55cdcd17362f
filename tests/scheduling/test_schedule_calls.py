"""The office's schedule through real signed gather calls: after hours (emergency, urgent,
routine), a holiday, a capacity override, a whole-window job type, the on-call chain, and the
profile reloaded without a restart. A real server on loopback; the business clock is set."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from hvac_agent.analytics.queries import inbox
from hvac_agent.booking.db import create_engine
from hvac_agent.clock import FixedClock
from tests.e2e.conftest import make_settings
from tests.e2e.scripts import COOPERATIVE
from tests.support.server import AppServer, app_server
from tests.support.twilio_sim import TwilioCall, Twiml

CHICAGO = ZoneInfo("America/Chicago")
WEDNESDAY_NIGHT = dt.datetime(2026, 12, 2, 21, 30, tzinfo=CHICAGO)  # the office closed at 16:00
WEDNESDAY_MORNING = dt.datetime(2026, 12, 2, 9, 0, tzinfo=CHICAGO)
ONCALL = ["+15125550111", "+15125550112", "+15125550113"]
PROFILE = f"""
oncall = {{ numbers = {ONCALL!r}, ring_seconds = 15 }}
units_per_technician = 2
technicians_per_window = 1

[[job_types]]
name = "tune_up"
units = 1
categories = ["maintenance"]

[[job_types]]
name = "install_estimate"
units = 2
keywords = ["estimate", "quote", "replacement", "replace"]
"""


@dataclass
class Office(AppServer):
    profile: Path = Path()

    def inbox(self) -> dict[str, list[str]]:
        """The console inbox's items (call SID → kinds), read as the console reads them."""

        async def read() -> dict[str, list[str]]:
            engine = create_engine(self.settings.database_url)
            try:
                return {item.call_sid: list(item.kinds) for item in await inbox(engine)}
            finally:
                await engine.dispose()

        return asyncio.run(read())

    def appointments(self) -> list[dict[str, object]]:
        return httpx.get(f"{self.base_url}/api/appointments", params={"status": "booked"}, timeout=10).json()


def serve(tmp_path: Path, text: str, now: dt.datetime) -> Iterator[Office]:
    profile = tmp_path / "business.toml"
    profile.write_text(text, encoding="utf-8")
    clock = FixedClock(now.astimezone(dt.UTC))
    with app_server(functools.partial(make_settings, tmp_path, business_file=str(profile)), clock=clock) as server:
        yield server.as_(Office, profile=profile)


@pytest.fixture
def night(tmp_path: Path) -> Iterator[Office]:
    yield from serve(tmp_path, PROFILE, WEDNESDAY_NIGHT)


@pytest.fixture
def morning(tmp_path: Path) -> Iterator[Office]:
    yield from serve(tmp_path, PROFILE, WEDNESDAY_MORNING)


def _details(call: TwilioCall, problem: str) -> Twiml:
    call.say(problem)
    for line in COOPERATIVE[1:5]:  # name, caller ID yes, address, no unit
        answer = call.say(line)
    return answer


# ---- after hours ----------------------------------------------------------------------------


def test_after_hours_emergency_gets_the_safety_script_and_the_oncall_chain(night: Office) -> None:
    with night.call() as call:
        greeting = call.start()
        assert "closed right now" in greeting.text and "virtual assistant" in greeting.text
        answer = call.say("I smell gas in the basement")
        assert "911" in answer.text and answer.dial_numbers == [ONCALL[0]]
        assert answer.dial_action is not None and "chain=oncall&step=0" in answer.dial_action


def test_after_hours_urgent_is_booked_first_thing_and_offered_the_oncall_line(night: Office) -> None:
    with night.call() as call:
        call.start()
        read_back = _details(call, "we have no heat and there's a newborn baby in the house")
        assert "Shall I book it" in read_back.text and "tomorrow" in read_back.text.lower(), read_back.text
        booked = call.say("yes")
        assert "You're all set" in booked.text and "on-call technician now" in booked.text
        assert booked.gather_action is not None  # a question: the caller chooses
        connected = call.say("yes please")
        assert connected.dial_numbers == [ONCALL[0]]
        # Stream mode hands over through `<Connect action>` after the stream closed and the
        # call's session is gone: the same booked call still goes to the on-call chain.
        call.hang_up()
        ended = call._post("/twilio/stream-ended", {})
        assert ended.dial_numbers == [ONCALL[0]]
    [visit] = night.appointments()
    assert (visit["date"], visit["window"], visit["urgency"]) == ("2026-12-03", "08:00-12:00", "urgent")


def test_after_hours_routine_caller_hears_it_is_after_hours_and_books_the_next_open_window(night: Office) -> None:
    with night.call() as call:
        assert "closed right now" in call.start().text
        offer = _details(call, COOPERATIVE[0])
        offer = call.say("no") if "Which works best" not in offer.text else offer
        assert "Which works best" in offer.text and "tomorrow" in offer.text.lower(), offer.text
        call.say("the first one")
        done = call.say("yes")
        assert "You're all set" in done.text and "on-call" not in done.text and done.gather_action is None
    [visit] = night.appointments()
    assert (visit["date"], visit["window"]) == ("2026-12-03", "08:00-12:00")


def test_oncall_chain_dials_the_next_number_when_the_first_does_not_answer(night: Office) -> None:
    with night.call() as call:
        call.start()
        first = call.say("my carbon monoxide alarm is going off")
        assert first.dial_numbers == [ONCALL[0]]
        second = call.dial_result("no-answer")
        assert second.dial_numbers == [ONCALL[1]] and "step=1" in (second.dial_action or "")
        third = call.dial_result("busy")
        assert third.dial_numbers == [ONCALL[2]]
        message = call.dial_result("no-answer")
        assert message.dial_numbers == [] and "leave a short message" in message.text
        bye = call._post(message.gather_action or "", {"SpeechResult": "please call me back at once"})
        assert "call you back" in bye.text
        record = httpx.get(f"{night.base_url}/api/calls/{call.call_sid}", timeout=10).json()
        assert any(t["text"] == "please call me back at once" for t in record["turns"])
    assert "transfer_unanswered" in night.inbox()[call.call_sid]  # flagged for the office


def test_answered_oncall_ends_the_chain(night: Office) -> None:
    with night.call() as call:
        call.start()
        call.say("I smell gas")
        done = call.dial_result("completed")
        assert done.dial_numbers == [] and done.hangup


# ---- the calendar and job types -------------------------------------------------------------


def test_holiday_is_closed_and_skipped(tmp_path: Path) -> None:
    holiday = PROFILE.replace(
        "[[job_types]]", '[[holidays]]\ndate = "2026-12-03"\nname = "Founders Day"\n\n[[job_types]]', 1
    )
    for office in serve(tmp_path, holiday, WEDNESDAY_NIGHT.replace(day=3, hour=10)):
        with office.call() as call:
            greeting = call.start()
            assert "closed for Founders Day" in greeting.text
            offer = _details(call, COOPERATIVE[0])
            offer = call.say("no") if "Which works best" not in offer.text else offer
            assert "Thursday" not in offer.text and "tomorrow" in offer.text.lower(), offer.text  # Friday


def test_capacity_override_takes_a_window_out(tmp_path: Path) -> None:
    sick = PROFILE + '\n[[capacity_overrides]]\ndate = "2026-12-02"\nwindow = "12:00-16:00"\ntechnicians = 0\n'
    for office in serve(tmp_path, sick, WEDNESDAY_MORNING):
        with office.call() as call:
            call.start()
            offer = _details(call, COOPERATIVE[0])
            offer = call.say("no") if "Which works best" not in offer.text else offer
            assert "today" not in offer.text.lower() and "tomorrow" in offer.text.lower(), offer.text


def test_whole_window_job_skips_a_window_a_small_job_has_started(morning: Office) -> None:
    morning.clock.set(WEDNESDAY_NIGHT.astimezone(dt.UTC).replace(hour=13))  # 07:00 local
    with morning.call() as call:
        call.start()
        offer = _details(call, "I need my yearly maintenance tune-up")
        offer = call.say("no") if "Which works best" not in offer.text else offer
        assert "this morning" in offer.text.lower() or "today" in offer.text.lower(), offer.text
        call.say("the first one")
        assert "You're all set" in call.say("yes").text
    with morning.call() as call:
        call.start()
        offer = _details(call, "my old furnace is making a loud noise and I want to replace it")
        offer = call.say("no") if "Which works best" not in offer.text else offer
        assert "this morning" not in offer.text.lower(), offer.text  # half of it is taken
        call.say("the first one")
        assert "You're all set" in call.say("yes").text
    with morning.call() as call:  # another tune-up still fits in the half that is left
        call.start()
        offer = _details(call, "time for the yearly maintenance on my AC")
        offer = call.say("no") if "Which works best" not in offer.text else offer
        assert "this morning" in offer.text.lower() or "today" in offer.text.lower(), offer.text
        call.say("the first one")
        assert "You're all set" in call.say("yes").text
    visits = [(v["date"], v["window"]) for v in morning.appointments()]
    assert len(visits) == 3 and len(set(visits)) == 2  # two tune-ups share a window; the estimate has one


# ---- reload without a restart ---------------------------------------------------------------


def test_profile_reloads_from_the_file_and_the_api_and_a_bad_file_changes_nothing(morning: Office) -> None:
    with morning.call() as call:
        assert "virtual assistant" in call.start().text
    morning.profile.write_text(PROFILE + '\nname = "x"\n', encoding="utf-8")  # bad TOML: key after a table
    morning.profile.write_text('name = "Polar Air"\n' + PROFILE, encoding="utf-8")
    with morning.call() as call:
        assert "Polar Air" in call.start().text  # seen at the call's start: no restart, no API call
    morning.profile.write_text('name = "Arctic Air"\ndispatch_fee = -5\n' + PROFILE, encoding="utf-8")
    refused = httpx.post(f"{morning.base_url}/api/profile/reload", timeout=10)
    assert refused.status_code == 422 and "dispatch_fee" in refused.json()["error"]
    with morning.call() as call:
        assert "Polar Air" in call.start().text  # the old profile stays in force
    morning.profile.write_text('name = "Arctic Air"\n' + PROFILE, encoding="utf-8")
    applied = httpx.post(f"{morning.base_url}/api/profile/reload", timeout=10)
    assert applied.status_code == 200 and applied.json() == {
        "ok": True,
        "changed": True,
        "error": None,
        "name": "Arctic Air",
    }
    with morning.call() as call:
        assert "Arctic Air" in call.start().text
