"""The console in a real headless Chromium (Debian's `chromium`, driven by Playwright).

1. Sign in with the token, see a booking made by a signed gather call appear, open its transcript,
   move it to another window.
2. Call the agent from the softphone page with a fake microphone playing a WAV synthesised here
   with espeak-ng; the call runs through the stream pipeline on the offline engines and books.

Set HVAC_SCREENS_DIR to keep screenshots of the main pages.
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from hvac_agent.voice.codec import resample, ulaw_decode
from tests.conftest import IN_CI
from tests.console.conftest import API_TOKEN, ConsoleServer, serve_console
from tests.e2e.conftest import AUTH_TOKEN
from tests.e2e.scripts import book_cooperatively
from tests.support.twilio_sim import TwilioCall

CHROMIUM = os.environ.get("HVAC_CHROMIUM", "/usr/bin/chromium")
# Chromium as root in a container, on a closed network (see the machine notes): no sandbox, no GPU,
# and nothing that phones home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENS = os.environ.get("HVAC_SCREENS_DIR")
pytestmark = pytest.mark.slow


def _playwright() -> Any:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(message + " (CI=true: the browser is required)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def shot(page: Any, name: str) -> None:
    if SCREENS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENS) / f"{name}.png"), full_page=True)


@pytest.fixture
def chromium() -> Iterator[Any]:
    with _playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def test_sign_in_see_a_gather_booking_open_its_transcript_and_move_it(
    console_server: ConsoleServer, chromium: Any
) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(console_server.base_url + "/console")
    assert page.url.endswith("/console/login")
    shot(page, "login")
    page.fill("#token", "not the token")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("main")
    page.fill("#token", API_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url("**/console")
    assert "Bookings by window" in page.inner_text("h1")

    with console_server.call() as call:
        book_cooperatively(call)
        sid = call.call_sid
    with console_server.call(caller="+15125550177") as gas:  # something for the inbox
        gas.start()
        gas.say("I smell gas in the kitchen")

    page.reload()
    appointment = page.locator("article.appt", has_text="Dana Kim")
    assert appointment.count() == 1
    assert "4410 Duval Street" in appointment.inner_text()
    assert "1 of 3 booked" in page.inner_text("main")
    shot(page, "day")

    appointment.get_by_role("link", name="transcript").click()
    page.wait_for_url(f"**/console/calls/{sid}")
    transcript = page.inner_text("#transcript")
    assert "my furnace stopped working" in transcript and "Shall I book it?" in transcript
    shot(page, "call")

    target = page.locator("select[name=target] option", has_text="Dec 3, 12:00-16:00").first
    value = target.get_attribute("value")
    assert value == "2026-12-03 12:00-16:00"
    page.select_option("select[name=target]", value)
    page.get_by_role("button", name="Move").click()
    assert "moved to Thu Dec 03, 12:00-16:00" in page.inner_text(".notice")
    found = httpx.get(
        console_server.base_url + "/api/appointments",
        params={"call_sid": sid},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=10,
    ).json()
    assert (found[0]["date"], found[0]["window"]) == ("2026-12-03", "12:00-16:00")

    if SCREENS:
        for name, path in [
            ("calls", "/console/calls"),
            ("inbox", "/console/inbox"),
            ("analytics", "/console/analytics"),
            ("profile", "/console/profile"),
        ]:
            page.goto(console_server.base_url + path)
            shot(page, name)
        phone = chromium.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(console_server.base_url + "/console")
        shot(phone, "day-phone")


# The caller's side of a booking, in the order the agent asks; each answer leaves the agent time to
# answer (an answer that comes while the agent still speaks interrupts it, as on a phone). The
# ZIP is keyed in on the page's keypad when asked, as a caller does when a ZIP is misheard.
CALLER_LINES: list[tuple[str, float]] = [
    ("my furnace stopped working and there's no heat", 5.0),
    # Names and addresses the on-device recogniser heard are read back before the next question:
    # the caller waits for the question after the read-back, as a person would.
    ("my name is Robert Brown", 14.0),
    ("yes", 8.0),  # the address is the longest answer: let the question finish, no barge-in to clip it
    ("I live at 200 Main Street", 15.0),  # then the ZIP on the keypad
    ("no unit", 5.0),
    ("no", 5.0),
    ("the earliest", 5.0),
    # A yes over the read-back hears the read-back and the fee again; the caller says yes again.
    ("yes", 25.0),
    ("yes", 40.0),
]


def caller_wav(path: Path, rate_hz: int = 48000) -> Path:
    """The fake microphone's recording, synthesised offline with espeak-ng (libespeak-ng in-process)."""
    from hvac_agent.voice.tts.espeak import EspeakTTS

    voice = EspeakTTS(rate_wpm=150)
    parts = [np.zeros(int(2.5 * 8000), dtype=np.int16)]
    for line, pause_s in CALLER_LINES:
        parts.append(ulaw_decode(voice.render(line)))
        parts.append(np.zeros(int(pause_s * 8000), dtype=np.int16))
    pcm = resample(np.concatenate(parts), 8000, rate_hz)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(pcm.astype("<i2").tobytes())
    return path


@pytest.fixture
def softphone_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    yield from serve_console(tmp_path, None, stt_engines="offline", tts_engines="espeak")


def test_softphone_call_with_a_fake_microphone_books_on_the_offline_engines(
    softphone_server: ConsoleServer, tmp_path: Path
) -> None:
    wav = caller_wav(tmp_path / "caller.wav")
    flags = [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    with _playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(softphone_server.base_url + "/console/login")
        page.fill("#token", API_TOKEN)
        page.click("button[type=submit]")
        page.goto(softphone_server.base_url + "/console/softphone")
        # Opening the page starts building the speech engines (the offline recogniser's model takes
        # seconds on a cold cache); a person reads the page first, the test waits for /health to
        # list them so the fake microphone's first words are not spoken into a line still connecting.
        _wait_for_speech_engines(softphone_server.base_url)
        page.fill("#caller", "+15125550123")
        page.click("#call")
        page.wait_for_function(
            "() => document.getElementById('transcript').innerText.includes('ZIP code there')", timeout=120_000
        )
        for key in "78701#":
            page.click(f".keypad button[data-digit='{key}']")
        page.wait_for_function("() => document.getElementById('status').innerText.includes('ended')", timeout=150_000)
        transcript = page.inner_text("#transcript")
        shot(page, "softphone")
        call_link = page.locator("#call-link a").get_attribute("href")
        browser.close()

    # The live transcript beside the phone followed the call (the greeting may be cut: the caller
    # starts speaking over it, and a barge-in keeps only what was heard).
    assert "Robert Brown" in transcript and "Let me read that back" in transcript and "You're all set" in transcript
    call_sid = call_link.rsplit("/", 1)[-1]
    assert call_sid.startswith("WB")
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    [appointment] = httpx.get(
        softphone_server.base_url + "/api/appointments", params={"call_sid": call_sid}, headers=headers, timeout=10
    ).json()
    assert appointment["customer_name"] == "Robert Brown"
    assert appointment["phone"] == "+15125550123"
    assert (appointment["address"], appointment["zip"]) == ("200 Main Street", "78701")
    assert appointment["issue_category"] == "no_heat" and appointment["status"] == "booked"
    record = httpx.get(f"{softphone_server.base_url}/api/calls/{call_sid}", headers=headers, timeout=10).json()
    assert record["outcome"] == "booked" and record["ended_at"] is not None
    assert record["facts"]["channel"] == "softphone"
    assert any(engine.startswith("stt:") for engine in record["facts"]["engines"])


def _wait_for_speech_engines(base_url: str, timeout_s: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        circuits = httpx.get(base_url + "/health", timeout=10).json().get("circuits", {})
        if any(name.startswith("stt:") for name in circuits):
            return
        time.sleep(0.25)
    raise AssertionError("the softphone page never got the speech engines built")


def test_softphone_socket_is_refused_without_access(softphone_server: ConsoleServer) -> None:
    import asyncio

    import websockets

    url = softphone_server.base_url.replace("http://", "ws://") + "/console/softphone/ws"

    async def attempt(headers: dict[str, str]) -> int:
        try:
            async with websockets.connect(url, additional_headers=headers):
                return 101
        except websockets.InvalidStatus as refused:
            return int(refused.response.status_code)

    assert asyncio.run(attempt({})) == 403
    assert asyncio.run(attempt({"Cookie": "hvac_console=99999999999.forged"})) == 403
    # A Twilio-signed upgrade means nothing here: the softphone is the console's, not Twilio's.
    signed = TwilioCall(softphone_server.base_url, AUTH_TOKEN).sign(url, {})
    assert asyncio.run(attempt({"X-Twilio-Signature": signed})) == 403
    assert asyncio.run(attempt({"Authorization": f"Bearer {API_TOKEN}", "Origin": "https://evil.example"})) == 403
