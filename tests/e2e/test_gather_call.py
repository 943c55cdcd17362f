"""Whole phone calls in gather mode, played as Twilio would against the real server."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

from tests.e2e.conftest import AUTH_TOKEN, Server
from tests.e2e.scripts import COOPERATIVE, drive_call
from tests.support.twilio_sim import TwilioCall, Twiml


def _appointments(server: Server, call_sid: str) -> list[dict[str, object]]:
    response = server.api("/api/appointments", call_sid=call_sid)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_cooperative_caller_is_booked_once_with_correct_fields(server: Server) -> None:
    with server.call() as call:
        greeting = call.start()
        assert "virtual assistant" in greeting.text
        assert greeting.gather["input"] == "speech dtmf"
        assert greeting.gather["actionOnEmptyResult"] == "true"
        assert greeting.gather_action and greeting.gather_action.startswith(server.base_url + "/twilio/gather")
        asked: list[str] = []
        for line in COOPERATIVE:
            asked.append(call.say(line).text)
        readback = call.last.text  # type: ignore[union-attr]
        for expected in ("Dana Kim", "5 1 2, 5 5 5, 0 1 2 3", "forty-four ten Duval Street", "$89", "Shall I book it"):
            assert expected in readback, readback
        assert "phone number" not in " ".join(asked[2:]).lower()
        done = call.say("yes")
        assert "You're all set" in done.text and done.hangup
        assert call.hang_up().status_code == 200

    [appointment] = _appointments(server, call.call_sid)
    assert appointment["customer_name"] == "Dana Kim"
    assert appointment["phone"] == "+15125550123"
    assert appointment["address"] == "4410 Duval Street"
    assert appointment["unit"] is None
    assert appointment["zip"] == "78751"
    assert appointment["issue_category"] == "no_heat"
    assert appointment["urgency"] == "routine"
    assert (appointment["date"], appointment["window"]) == ("2026-12-02", "12:00-16:00")
    assert appointment["status"] == "booked"
    assert re.match(r"\d{4}-\d\d-\d\dT", str(appointment["created_at"]))

    record = server.api(f"/api/calls/{call.call_sid}").json()
    assert record["outcome"] == "booked"
    assert record["appointment_id"] == appointment["id"]
    assert record["ended_at"] is not None
    roles = [t["role"] for t in record["turns"]]
    assert roles[0] == "agent" and roles.count("caller") == len(COOPERATIVE) + 1
    assert record["turns"][1]["text"] == COOPERATIVE[0]


def test_everything_in_the_opening_sentence_is_never_asked_again(server: Server) -> None:
    with server.call(caller="+15125550999") as call:
        call.start()
        first = call.say(
            "hi this is dana kim my furnace is out at 4410 duval street 78751 you can reach me at 512 555 0123"
        )
        says = [first.text]
        says.append(call.say("no").text)  # unit
        says.append(call.say("no").text)  # vulnerable occupants
        says.append(call.say("the first one").text)
        joined = " ".join(says[:-1]).lower()
        for re_ask in ("your first and last name", "best phone number", "street address", "what's going on"):
            assert re_ask not in joined, says
        assert "Shall I book it" in says[-1]
        call.say("yes")
    [appointment] = _appointments(server, call.call_sid)
    assert appointment["phone"] == "+15125550123"  # the number given, not the caller ID
    assert appointment["zip"] == "78751"


def test_a_correction_at_read_back_replaces_the_slot(server: Server) -> None:
    with server.call() as call:
        drive_call(call, "confirm")
        corrected = call.say("no the number is 512 555 0132")
        assert "5 1 2, 5 5 5, 0 1 3 2" in corrected.text, corrected.text
        assert "Shall I book it" in corrected.text
        call.say("yes")
    [appointment] = _appointments(server, call.call_sid)
    assert appointment["phone"] == "+15125550132"


def test_gas_smell_gets_the_safety_script_and_the_on_call_line_never_a_booking(server: Server) -> None:
    with server.call() as call:
        call.start()
        answer = call.say("i smell gas in the kitchen")
        text = answer.text.lower()
        assert "leave the home" in text and "911" in text and "switches" in text
        assert answer.dial_numbers == ["+15125550111"]
        call.hang_up()
    assert _appointments(server, call.call_sid) == []
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "emergency"


def test_asking_for_a_person_dials_the_office_with_a_message_fallback(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my ac is not cooling")
        answer = call.say("let me talk to a person")
        assert answer.dial_numbers == ["+15125550100"]
        fallback = call.dial_result("no-answer")
        assert fallback.gather_action and "message" in fallback.text.lower()
        bye = call.say("please call me back about my air conditioner")
        assert bye.hangup
        call.hang_up()
    record = server.api(f"/api/calls/{call.call_sid}").json()
    assert record["outcome"] == "message"
    assert any("call me back" in t["text"] for t in record["turns"] if t["role"] == "caller")


def test_out_of_area_zip_is_told_kindly_and_not_booked(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my heater is broken")
        call.say("dana kim")
        call.say("yes")
        answer = call.say("100 main street 90210")
        assert "outside the area we serve" in answer.text
        bye = call.say("no thanks")
        assert bye.hangup
        call.hang_up()
    assert _appointments(server, call.call_sid) == []
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "out_of_area"


def test_three_silences_end_the_call_politely(server: Server) -> None:
    with server.call() as call:
        call.start()
        first = call.silence()
        assert first.gather_action and "didn't hear" in first.text
        second = call.silence()
        assert second.gather_action
        third = call.silence()
        assert third.hangup and "call us back" in third.text
        call.hang_up()
    assert server.api(f"/api/calls/{call.call_sid}").json()["outcome"] == "abandoned"


def test_final_yes_posted_twice_and_concurrently_books_once(server: Server) -> None:
    with server.call() as call:
        drive_call(call, "confirm")
        first = call.say("yes")
        retry = call.retry_last()
        assert retry.status_code == 200
        assert Twiml.parse(retry.text).xml == first.xml  # the same TwiML for a retried webhook
    assert len(_appointments(server, call.call_sid)) == 1

    with server.call(caller="+15125550177") as call:
        drive_call(call, "confirm")
        url = call.last.gather_action  # type: ignore[union-attr]
        params = {"CallSid": call.call_sid, "From": call.caller, "SpeechResult": "yes", "Confidence": "0.9"}
        headers = {"X-Twilio-Signature": call.sign(url, params), "I-Twilio-Idempotency-Token": "same-token"}
        bodies: list[str] = []

        def post() -> None:
            with TwilioCall(server.base_url, AUTH_TOKEN) as other:
                response = other.client.post(url, data=params, headers=headers)
                assert response.status_code == 200
                bodies.append(response.text)

        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(bodies) == 4 and len(set(bodies)) == 1
        assert "You're all set" in bodies[0]
    assert len(_appointments(server, call.call_sid)) == 1


def test_forged_or_missing_signature_is_refused_and_changes_nothing(server: Server) -> None:
    with server.call() as call:
        call.start()
        url = call.last.gather_action  # type: ignore[union-attr]
        params = {"CallSid": call.call_sid, "From": call.caller, "SpeechResult": "i smell gas"}
        forged = call.client.post(url, data=params, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
        missing = call.client.post(url, data=params)
        assert forged.status_code == 403 and missing.status_code == 403
        tampered = dict(params, SpeechResult="my furnace is out")
        resigned = call.client.post(url, data=tampered, headers={"X-Twilio-Signature": call.sign(url, params)})
        assert resigned.status_code == 403
        # The call goes on exactly where it was: the next genuine turn is still the first one.
        answer = call.say("my furnace is out")
        assert "name" in answer.text.lower()
    record = server.api(f"/api/calls/{call.call_sid}").json()
    assert record["outcome"] == "in_progress"
    assert [t["text"] for t in record["turns"] if t["role"] == "caller"] == ["my furnace is out"]
    unknown = TwilioCall(server.base_url, "wrong-token")
    assert unknown.post_raw("/twilio/voice", {"CallSid": "CAforged"}).status_code == 403
    unknown.close()
    assert server.api("/api/calls/CAforged").status_code == 404


def test_a_signature_over_the_url_without_its_port_is_accepted_another_port_is_not(server: Server) -> None:
    """Twilio signs a URL with or without the scheme's port: both spellings are genuine."""
    with server.call() as call:
        public = urlsplit(server.base_url)  # the public URL the server signs against
        assert public.port is not None  # the test server's public URL names its port
        params = {"CallSid": call.call_sid, "From": call.caller, "To": call.to, "CallStatus": "ringing"}
        other_port = public._replace(netloc=f"{public.hostname}:{public.port + 1}").geturl() + "/twilio/voice"
        refused = call.client.post(
            server.base_url + "/twilio/voice",
            data=params,
            headers={"X-Twilio-Signature": call.sign(other_port, params)},
        )
        assert refused.status_code == 403
        portless = public._replace(netloc=str(public.hostname)).geturl() + "/twilio/voice"
        accepted = call.client.post(
            server.base_url + "/twilio/voice", data=params, headers={"X-Twilio-Signature": call.sign(portless, params)}
        )
        assert accepted.status_code == 200 and "<Gather" in accepted.text


def test_odd_or_missing_fields_get_polite_twiml_not_a_5xx(server: Server) -> None:
    with server.call() as call:
        response = call.post_raw("/twilio/gather", {"SpeechResult": "<hello> & \x01 goodbye"})
        assert response.status_code == 200
        assert Twiml.parse(response.text).hangup
        call.start()
        odd = call.say("my name is <script>alert(1)</script> & co \x02")
        assert odd.gather_action  # still a valid, parseable TwiML turn


def test_caller_who_loses_the_last_place_is_offered_another_window(server: Server) -> None:
    """The last place is held for the caller who heard it; once that hold has lapsed, a second
    caller may hear it too (the edge). The first "yes" books it; the second caller's choice is then
    gone at the read-back: they hear so and other windows at once, never "booked", never a transfer."""
    import asyncio
    import datetime as dt

    from hvac_agent.booking.db import create_engine
    from hvac_agent.booking.service import BookingService
    from hvac_agent.clock import FixedClock
    from hvac_agent.config import BusinessProfile
    from hvac_agent.dialogue.state import BookingRequest
    from tests.e2e.conftest import NOW

    async def fill_two_of_three() -> None:
        engine = create_engine(server.settings.database_url)
        service = BookingService(engine, BusinessProfile(), FixedClock(NOW))
        for n in range(2):
            result = await service.book(
                BookingRequest(
                    call_sid=f"CAprefill{n}",
                    customer_name="Earlier Caller",
                    phone="+15125550100",
                    address="1 Main Street",
                    unit=None,
                    zip="78701",
                    issue="maintenance",
                    issue_category="maintenance",
                    urgency="routine",
                    date=dt.date(2026, 12, 2),
                    window="12:00-16:00",
                )
            )
            assert result.ok
        await engine.dispose()

    asyncio.run(fill_two_of_three())
    first, second = server.call(caller="+15125550161"), server.call(caller="+15125550162")
    last_place = "today, Wednesday December 2, between noon and 4 PM"
    with first, second:
        assert last_place in drive_call(first, "confirm").text
        server.clock.advance(6 * 60)  # the first caller thinks it over; the hold lapses
        offer = drive_call(second, "window")
        assert last_place in offer.text
        assert "You're all set" in first.say("yes").text
        lost = second.say("the first one")
        assert "Shall I book it" not in lost.text and lost.dial_numbers == []
        assert "just taken" in lost.text and lost.gather_action
        readback = second.say("the first one")
        assert "Shall I book it" in readback.text
        assert "You're all set" in second.say("yes").text
    [won] = _appointments(server, first.call_sid)
    [moved] = _appointments(server, second.call_sid)
    assert won["window"] == "12:00-16:00"
    assert (moved["date"], moved["window"]) == ("2026-12-03", "08:00-12:00")


def test_each_turn_is_in_the_call_record_as_soon_as_its_answer_is_out(server: Server) -> None:
    """Turns are committed in groups, but a turn's answer goes out only after its commit: read
    mid-call, the record holds every turn said so far, in order, the agent's words as spoken."""
    with server.call() as call:
        greeting = call.start()
        said = [("agent", greeting.text)]
        for line in COOPERATIVE[:4]:
            answer = call.say(line)
            said += [("caller", line), ("agent", answer.text)]
            record = server.api(f"/api/calls/{call.call_sid}").json()
            assert [(t["role"], t["text"]) for t in record["turns"]] == said
            assert record["outcome"] == "in_progress" and record["ended_at"] is None
