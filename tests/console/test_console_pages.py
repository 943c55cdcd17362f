"""The office console over real HTTP: sign-in, the day view's complete/cancel/move through the
booking service, calls with transcripts and the live feed, the inbox, the profile editor."""

from __future__ import annotations

import httpx

from tests.console.conftest import API_TOKEN, Browser, ConsoleServer
from tests.e2e.scripts import book_cooperatively


def test_console_needs_the_token_and_a_browser_signs_in_once(console_server: ConsoleServer) -> None:
    anonymous = console_server.browser()
    page = anonymous.get("/console")
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert anonymous.get("/console/calls/CAx/events").status_code == 401
    assert anonymous.get("/console/analytics.csv").status_code == 401
    assert anonymous.post("/console/appointments/1/cancel", csrf=False).status_code == 401
    assert anonymous.sign_in("wrong-token").status_code == 401
    assert anonymous.get("/console").status_code == 303  # still out

    signed_in = anonymous.sign_in()
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert API_TOKEN not in cookie  # the token itself never sits in the browser
    page = anonymous.get("/console")
    assert page.status_code == 200 and "Bookings by window" in page.text

    # A script may use the bearer token instead of a session, as for /api.
    scripted = httpx.get(
        console_server.base_url + "/console/inbox", headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10
    )
    assert scripted.status_code == 200 and "Needs a person" in scripted.text
    anonymous.close()


def test_a_forged_or_tampered_session_cookie_is_refused(console_server: ConsoleServer) -> None:
    client = console_server.browser()
    client.client.cookies.set("hvac_console", "99999999999.deadbeef", path="/console")
    assert client.get("/console").status_code == 303
    assert client.get("/console/calls/CAx/events").status_code == 401
    client.close()


def test_a_form_without_this_browsers_csrf_value_changes_nothing(
    console_server: ConsoleServer, browser: Browser
) -> None:
    with console_server.call() as call:
        book_cooperatively(call)
    [appointment] = httpx.get(
        console_server.base_url + "/api/appointments", headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10
    ).json()
    browser.get("/console")
    refused = browser.post(f"/console/appointments/{appointment['id']}/cancel", {"csrf": "0" * 64})
    assert refused.status_code == 403
    other_site = browser.client.post(
        f"/console/appointments/{appointment['id']}/cancel",
        data={"csrf": browser.csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    assert _appointment(console_server, appointment["id"])["status"] == "booked"


def _appointment(server: ConsoleServer, appointment_id: int) -> dict[str, str]:
    response = httpx.get(
        f"{server.base_url}/api/appointments/{appointment_id}",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_day_view_shows_the_booking_and_moves_completes_and_cancels_through_the_service(
    console_server: ConsoleServer, browser: Browser
) -> None:
    with console_server.call() as call:
        book_cooperatively(call)
        sid = call.call_sid
    day = browser.get("/console")
    assert "Dana Kim" in day.text and "4410 Duval Street" in day.text
    assert "1 of 3 booked" in day.text  # today 12:00-16:00, the first window offered
    [appointment] = [
        a
        for a in httpx.get(
            console_server.base_url + "/api/appointments",
            params={"call_sid": sid},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        ).json()
    ]
    assert (appointment["date"], appointment["window"]) == ("2026-12-02", "12:00-16:00")

    # Fill Thursday's morning window with other callers, then try to move into it: refused.
    for n in range(3):
        with console_server.call(caller=f"+1512555020{n}") as other:
            other.start()
            for line in [
                "no heat",
                f"pat lee{n}",
                "yes",
                f"1{n}0 congress avenue 78701",
                "no",
                "no",
                "thursday morning",
            ]:
                other.say(line)
            assert "Shall I book it" in other.last.text  # type: ignore[union-attr]
            other.say("yes")
    moved = browser.post(f"/console/appointments/{appointment['id']}/move", {"target": "2026-12-03 08:00-12:00"})
    assert moved.status_code == 303
    assert "that window is full" in browser.get(moved.headers["location"]).text
    assert _appointment(console_server, appointment["id"])["window"] == "12:00-16:00"
    moved = browser.post(f"/console/appointments/{appointment['id']}/move", {"target": "2026-12-04 12:00-16:00"})
    assert "moved to" in browser.get(moved.headers["location"]).text
    after = _appointment(console_server, appointment["id"])
    assert (after["date"], after["window"]) == ("2026-12-04", "12:00-16:00")
    later = browser.get("/console", start="2026-12-04", days=1)
    assert "Dana Kim" in later.text and "1 of 3 booked" in later.text

    done = browser.post(f"/console/appointments/{appointment['id']}/complete")
    assert "marked completed" in browser.get(done.headers["location"]).text
    assert _appointment(console_server, appointment["id"])["status"] == "completed"
    cancel = browser.post(f"/console/appointments/{appointment['id']}/cancel")
    assert "could not be cancelled" in browser.get(cancel.headers["location"]).text  # a visit that happened stays


def test_move_into_a_full_window_is_refused_and_cancel_frees_the_place(
    console_server: ConsoleServer, browser: Browser
) -> None:
    ids = []
    for n in range(4):
        with console_server.call(caller=f"+1512555030{n}") as call:
            call.start()
            for line in ["no heat", f"sam ray{n}", "yes", f"2{n}0 congress avenue 78701", "no", "no", "the first one"]:
                call.say(line)
            call.say("yes")
            ids.append(
                httpx.get(
                    console_server.base_url + "/api/appointments",
                    params={"call_sid": call.call_sid},
                    headers={"Authorization": f"Bearer {API_TOKEN}"},
                ).json()[0]
            )
    today = [a for a in ids if a["window"] == "12:00-16:00" and a["date"] == "2026-12-02"]
    assert len(today) == 3  # capacity 3: the fourth caller got the next window
    fourth = next(a for a in ids if a not in today)
    browser.get("/console")
    refused = browser.post(f"/console/appointments/{fourth['id']}/move", {"target": "2026-12-02 12:00-16:00"})
    assert "was not moved" in browser.get(refused.headers["location"]).text
    assert _appointment(console_server, fourth["id"])["window"] == fourth["window"]

    browser.post(f"/console/appointments/{today[0]['id']}/cancel")
    assert _appointment(console_server, today[0]["id"])["status"] == "cancelled"
    moved = browser.post(f"/console/appointments/{fourth['id']}/move", {"target": "2026-12-02 12:00-16:00"})
    assert "moved to" in browser.get(moved.headers["location"]).text
    assert "3 of 3 booked" in browser.get("/console", days=1).text


def test_calls_are_searchable_and_open_their_transcript_booking_and_facts(
    console_server: ConsoleServer, browser: Browser
) -> None:
    with console_server.call() as call:
        book_cooperatively(call)
        call.hang_up(95)
        sid = call.call_sid
    with console_server.call(caller="+15125550177") as other:
        other.start()
        other.say("I smell gas in the kitchen")
        other.hang_up(30)
    listing = browser.get("/console/calls")
    assert sid in listing.text and other.call_sid in listing.text
    assert "1:35" in listing.text  # duration
    for query in ("duval", "dana", "5550123", "furnace"):
        found = browser.get("/console/calls", q=query)
        assert sid in found.text and other.call_sid not in found.text, query
    emergencies = browser.get("/console/calls", outcome="emergency")
    assert other.call_sid in emergencies.text and sid not in emergencies.text

    page = browser.get(f"/console/calls/{sid}")
    assert "my furnace stopped working" in page.text and "Shall I book it" in page.text
    assert "4410 Duval Street" in page.text  # the booking
    assert "How the call went" in page.text and "Turns" in page.text
    api = httpx.get(
        f"{console_server.base_url}/api/calls/{sid}", headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10
    ).json()
    assert api["outcome"] == "booked" and api["appointment_id"] is not None


def test_live_transcript_feed_streams_new_turns_then_says_ended(
    console_server: ConsoleServer, browser: Browser
) -> None:
    with console_server.call() as call:
        call.start()
        call.say("my furnace stopped working")
        with browser.client.stream("GET", f"/console/calls/{call.call_sid}/events") as feed:
            assert feed.headers["content-type"].startswith("text/event-stream")
            lines = feed.iter_lines()
            seen: list[str] = []
            while sum(line.startswith("event: turn") for line in seen) < 3:
                seen.append(next(lines))
            call.say("dana kim")  # a turn that happens while the page is open
            while not any("Dana Kim" in line or "dana kim" in line for line in seen):
                seen.append(next(lines))
            call.hang_up(40)
            while "event: ended" not in seen:
                seen.append(next(lines))
    data = "\n".join(seen)
    assert "virtual assistant here" in data and "my furnace stopped working" in data
    # Reconnecting with Last-Event-ID resumes after the turns already seen.
    resumed = browser.client.get(f"/console/calls/{call.call_sid}/events", headers={"Last-Event-ID": "3"})
    assert "virtual assistant here" not in resumed.text and "event: ended" in resumed.text


def test_inbox_lists_emergencies_messages_and_unanswered_transfers_until_handled(
    console_server: ConsoleServer, browser: Browser
) -> None:
    with console_server.call(caller="+15125550181") as gas:
        gas.start()
        gas.say("there's a strong gas smell in the basement")
    with console_server.call(caller="+15125550182") as person:
        person.start()
        person.say("I want to talk to a real person")
        assert person.last.dial_numbers  # type: ignore[union-attr]
        person.dial_result("no-answer")
        person._post("/twilio/message", {"SpeechResult": "please call me back about my heat pump"})
    with console_server.call(caller="+15125550183") as booked:
        book_cooperatively(booked)
    inbox = browser.get("/console/inbox")
    assert gas.call_sid in inbox.text and "Emergency" in inbox.text
    assert person.call_sid in inbox.text and "Transfer not answered" in inbox.text
    assert "please call me back about my heat pump" in inbox.text
    assert booked.call_sid not in inbox.text  # a plain booking needs nobody

    done = browser.post(f"/console/inbox/{gas.call_sid}/handled")
    assert "Marked as handled" in browser.get(done.headers["location"]).text
    assert gas.call_sid not in browser.get("/console/inbox").text
    assert gas.call_sid in browser.get("/console/inbox", all="true").text


def test_profile_editor_validates_keeps_and_applies_without_restart(
    console_server: ConsoleServer, browser: Browser
) -> None:
    page = browser.get("/console/profile")
    assert "dispatch_fee = 89" in page.text
    bad = browser.post(
        "/console/profile",
        {"source": page_source(page.text).replace("dispatch_fee = 89", "dispatch_fee = -5\ntimezone_x = 1")},
    )
    assert bad.status_code == 422 and "Nothing was changed" in bad.text and "dispatch_fee" in bad.text
    broken = browser.post("/console/profile", {"source": "name = ["})
    assert broken.status_code == 422 and "TOML" in broken.text
    assert "dispatch_fee = 89" in console_server.profile_file.read_text()

    good = browser.post(
        "/console/profile", {"source": page_source(page.text).replace("dispatch_fee = 89", "dispatch_fee = 95")}
    )
    assert good.status_code == 303
    assert "dispatch_fee = 95" in console_server.profile_file.read_text()
    with console_server.call(caller="+15125550191") as call:  # the next call hears the new fee at once
        call.start()
        for line in ["no heat", "lee park", "yes", "12 red river street 78701", "no", "no", "the first one"]:
            call.say(line)
        assert "$95" in call.last.text and "$89" not in call.last.text  # type: ignore[union-attr]


def page_source(html: str) -> str:
    import html as html_lib
    import re

    found = re.search(r'<textarea id="source" name="source"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return html_lib.unescape(found.group(1))
