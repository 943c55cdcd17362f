"""After the call, through the real server: texts to the caller over a fake Twilio Messaging API,
office alerts and exports to a webhook receiver, the digest to an SMTP server, STOP/HELP on the
inbound messaging webhook, the iCal feed and "forget this caller" on the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from hvac_agent.app import build_agent
from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from tests.e2e.conftest import NOW, make_settings
from tests.e2e.scripts import COOPERATIVE, book_cooperatively
from tests.fakes.fake_openai import FakeResponse
from tests.fakes.fake_openai import serve_in_thread as serve_openai
from tests.followups.conftest import DIGEST_TO, OFFICE_ALERTS, SMS_FROM, Stack, wait_for
from tests.support.server import app_server

pytestmark = pytest.mark.slow
CALLER = "+15125550123"
ONCALL = "+15125550111"


def book(stack: Stack, window_choice: str = "the first one") -> dict[str, object]:
    with stack.server.call() as call:
        call.start()
        for line in [*COOPERATIVE[:-1], window_choice]:
            call.say(line)
        assert "You're all set" in call.say("yes").text
        call.hang_up()
    [appointment] = stack.server.api("/api/appointments", call_sid=call.call_sid).json()
    return appointment  # type: ignore[no-any-return]


def test_booking_texts_one_confirmation_and_exports_a_signed_job(stack: Stack) -> None:
    appointment = book(stack)
    [text] = wait_for(lambda: stack.twilio.sent_to(CALLER), what="the confirmation text")
    assert text["from"] == SMS_FROM
    lead = "Comfort Zone Heating & Air: your visit is booked for Wed Dec 2, 12 PM-4 PM at 4410 Duval Street"
    assert text["body"].startswith(lead)
    assert "$89" in text["body"] and "Reply STOP" in text["body"] and "CANCEL" not in text["body"]
    [created] = wait_for(lambda: stack.receiver.of_type("booking.created"), what="the export webhook")
    job = created["data"]["job"]
    assert job["customer"] == {"name": "Dana Kim", "first_name": "Dana", "last_name": "Kim", "mobile_number": CALLER}
    assert job["location"]["street"] == "4410 Duval Street" and job["location"]["zip"] == "78751"
    assert (job["job_type"], job["priority"], job["status"]) == ("no_heat", appointment["urgency"], "scheduled")
    assert appointment["issue_category"] == "no_heat" and "furnace" in job["notes"]
    assert job["schedule"]["arrival_window_start"] == "2026-12-02T12:00:00-06:00"
    assert job["schedule"]["arrival_window_end"] == "2026-12-02T16:00:00-06:00"
    assert job["external_id"] == f"hvac-agent-appointment-{appointment['id']}"
    assert stack.receiver.rejected == 0  # every webhook verified with the Standard Webhooks library
    # Nothing more goes out however long the dispatcher runs: one confirmation, one export.
    stack.clock.advance(3600)
    wait_for(
        lambda: all(d["status"] != "pending" or d["channel"] == "email_digest" for d in stack.followups()),
        what="deliveries to settle",
    )
    assert len(stack.twilio.sent_to(CALLER)) == 1
    assert len(stack.receiver.deliveries) == 1
    # The call record carries the summary built from the call state.
    call_sid = appointment["call_sid"]
    summary = stack.server.api(f"/api/calls/{call_sid}").json()["summary"]
    assert "Dana Kim" in summary and "Booked a visit" in summary and "4410 Duval Street" in summary


def test_reminder_the_day_before_and_change_texts_after_reschedule_and_cancel(stack: Stack) -> None:
    appointment = book(stack, "the second one")  # Thursday morning
    assert (appointment["date"], appointment["window"]) == ("2026-12-03", "08:00-12:00")
    wait_for(lambda: stack.twilio.sent_to(CALLER), what="the confirmation")
    reminders = [d for d in stack.followups() if d["channel"] == "sms_reminder"]
    assert [r["next_attempt_at"] for r in reminders] == ["2026-12-02T23:00:00+00:00"]  # Wed 17:00 in Austin

    with stack.server.call() as call:  # the same caller moves it to Thursday afternoon
        call.start()
        offer = call.say("can i reschedule my appointment")
        assert "Thursday" in offer.text, offer.text
        call.say("thursday afternoon")
        assert "Your appointment is now" in call.say("yes").text
        call.hang_up()
    moved_to = stack.server.api(f"/api/appointments/{appointment['id']}").json()
    assert (moved_to["date"], moved_to["window"]) == ("2026-12-03", "12:00-16:00")
    moved = wait_for(
        lambda: len(stack.twilio.sent_to(CALLER)) == 2 and stack.twilio.sent_to(CALLER)[1], what="the change text"
    )
    assert "is moved to Thu Dec 3, 12 PM-4 PM" in moved["body"]

    stack.clock.set(dt.datetime(2026, 12, 2, 23, 0, 1, tzinfo=dt.UTC))
    texts = wait_for(
        lambda: len(stack.twilio.sent_to(CALLER)) == 3 and stack.twilio.sent_to(CALLER), what="the reminder"
    )
    assert "reminder, your technician visit is tomorrow, Thu Dec 3, 12 PM-4 PM" in texts[2]["body"]
    wait_for(
        lambda: all(d["status"] != "pending" for d in stack.followups() if d["channel"] == "sms_reminder"),
        what="both reminders to settle",
    )
    first, second = [d for d in stack.followups() if d["channel"] == "sms_reminder"]
    assert (first["status"], first["last_error"]) == ("skipped", "the visit was cancelled or moved")
    assert second["status"] == "delivered"

    with stack.server.call() as call:
        call.start()
        call.say("i need to cancel my appointment")
        assert "cancelled" in call.say("yes please").text
        call.hang_up()
    cancelled = wait_for(
        lambda: len(stack.twilio.sent_to(CALLER)) == 4 and stack.twilio.sent_to(CALLER)[3], what="the cancellation text"
    )
    assert "your visit on Thu Dec 3, 12 PM-4 PM at 4410 Duval Street is cancelled" in cancelled["body"]
    assert not any(d["channel"] == "sms_reminder" and d["event_kind"] == "cancelled" for d in stack.followups())


def test_stop_stops_every_text_and_start_resumes_them(stack: Stack) -> None:
    book(stack)
    wait_for(lambda: stack.twilio.sent_to(CALLER), what="the confirmation")
    stopped = stack.text_in(CALLER, "Stop")
    assert stopped.status_code == 200 and stopped.headers["content-type"].startswith("application/xml")
    assert "<Message>" not in stopped.text  # Twilio itself confirms an opt-out
    helped = stack.text_in(CALLER, "HELP")
    assert "<Message>" in helped.text and "Reply STOP to opt out" in helped.text and "+15125550100" in helped.text

    with stack.server.call() as call:  # a reschedule would text the change: not to an opted-out caller
        call.start()
        call.say("can i reschedule my appointment")
        call.say("the first one")
        call.say("yes")
        call.hang_up()
    change = wait_for(
        lambda: [
            d
            for d in stack.followups()
            if d["channel"] == "sms_caller" and d["status"] != "pending" and d["event_kind"] == "rescheduled"
        ],
        what="the change text's verdict",
    )
    assert change[0]["status"] == "skipped" and change[0]["last_error"] == "opted out"
    assert len(stack.twilio.sent_to(CALLER)) == 1  # the confirmation from before STOP, nothing since

    stack.text_in(CALLER, "START")
    with stack.server.call() as call:
        call.start()
        call.say("i need to cancel my appointment")
        call.say("yes please")
        call.hang_up()
    texts = wait_for(
        lambda: len(stack.twilio.sent_to(CALLER)) == 2 and stack.twilio.sent_to(CALLER), what="texts after START"
    )
    assert "is cancelled" in texts[1]["body"]


def test_inbound_messaging_webhook_is_signed_like_voice(stack: Stack) -> None:
    forged = httpx.post(stack.server.base_url + "/twilio/sms", data={"From": CALLER, "Body": "STOP"}, timeout=10)
    assert forged.status_code == 403
    other = stack.text_in(CALLER, "can you come earlier?")
    assert other.status_code == 200 and "only sends visit texts" in other.text


def test_emergency_alerts_on_call_and_office_by_sms_and_signed_webhook(stack: Stack) -> None:
    with stack.server.call() as call:
        call.start()
        answer = call.say("i smell gas in the kitchen")
        assert answer.dial_numbers == [ONCALL]
        alerts = wait_for(lambda: stack.twilio.sent_to(ONCALL), what="the on-call text")  # during the call
        assert alerts[0]["body"].startswith("EMERGENCY call - gas")
        assert CALLER in alerts[0]["body"]
        unanswered = call.dial_result("no-answer")
        assert unanswered.gather_action
        call.say("please call me back right away")
        call.hang_up()
    office = wait_for(
        lambda: len(stack.twilio.sent_to(OFFICE_ALERTS)) == 3 and stack.twilio.sent_to(OFFICE_ALERTS),
        what="the office texts",
    )
    bodies = [m["body"] for m in office]
    assert bodies[0].startswith("EMERGENCY call")
    assert any(b.startswith("EMERGENCY transfer NOT answered") for b in bodies)
    assert any(b.startswith("New message") and "call me back right away" in b for b in bodies)
    types = sorted(
        e["type"]
        for e in wait_for(
            lambda: len(stack.receiver.of_type("call.")) == 3 and stack.receiver.of_type("call."), what="alert webhooks"
        )
    )
    assert types == ["call.emergency", "call.message", "call.transfer_unanswered"]
    [emergency] = stack.receiver.of_type("call.emergency")
    assert emergency["data"]["emergency"] == "gas" and emergency["data"]["call_sid"] == call.call_sid


def test_receiver_down_for_a_while_gets_every_event_once_back(stack: Stack) -> None:
    stack.receiver.down()
    first = book(stack)
    with stack.server.call() as call:
        call.start()
        call.say("my ac is not cooling")
        call.say("let me talk to a person")
        call.dial_result("no-answer")
        call.say("call me about the ac")
        call.hang_up()
    wait_for(
        lambda: (
            len(
                [
                    d
                    for d in stack.followups()
                    if d["channel"].endswith("webhook") and d["attempts"] >= 1 and d["status"] == "pending"
                ]
            )
            == 3
        ),
        what="a failed attempt of each webhook",
    )
    for _ in range(3):  # retried with back-off while the receiver stays down
        before = {d["id"]: d["attempts"] for d in stack.followups()}
        stack.clock.advance(600)
        wait_for(
            lambda before=before: any(
                d["attempts"] > before[d["id"]]
                for d in stack.followups()  # type: ignore[misc]
                if d["channel"].endswith("webhook")
            ),
            what="a retry",
        )
    hooks = [d for d in stack.followups() if d["channel"].endswith("webhook")]
    assert all(d["status"] == "pending" and d["attempts"] >= 3 for d in hooks), hooks
    assert all("unreachable" in (d["last_error"] or "") for d in hooks)

    stack.receiver.up()
    stack.clock.advance(3600)
    wait_for(
        lambda: all(d["status"] == "delivered" for d in stack.followups() if d["channel"].endswith("webhook")),
        what="delivery once the receiver is back",
    )
    kinds = sorted(e["type"] for e in stack.receiver.events.values())
    assert kinds == ["booking.created", "call.message", "call.transfer_unanswered"]
    assert len(stack.receiver.deliveries) == len(set(stack.receiver.deliveries)) == 3  # each exactly once
    assert stack.receiver.of_type("booking.created")[0]["data"]["job"]["external_id"].endswith(str(first["id"]))


def test_twilio_errors_are_retried_with_back_off(stack: Stack) -> None:
    stack.twilio.fail_next = [503, 429]
    book(stack)
    wait_for(
        lambda: [
            d
            for d in stack.followups()
            if d["channel"] == "sms_caller" and d["attempts"] == 1 and d["status"] == "pending"
        ],
        what="the first failure",
    )
    assert stack.twilio.sent_to(CALLER) == []
    stack.clock.advance(120)
    wait_for(
        lambda: [
            d
            for d in stack.followups()
            if d["channel"] == "sms_caller" and d["attempts"] == 2 and d["status"] == "pending"
        ],
        what="the second failure",
    )
    stack.clock.advance(240)
    [text] = wait_for(lambda: stack.twilio.sent_to(CALLER), what="the text after the failures")
    [delivery] = [d for d in stack.followups() if d["channel"] == "sms_caller"]
    # The 503 may have sent it: the third attempt first looked for it at Twilio, then sent once.
    assert (delivery["status"], delivery["attempts"], delivery["provider_ref"]) == ("delivered", 3, text["sid"])


def test_daily_digest_by_email(stack: Stack) -> None:
    book(stack)
    with stack.server.call() as call:
        call.start()
        call.say("i smell gas in the kitchen")
        call.hang_up()
    stack.clock.set(dt.datetime(2026, 12, 3, 0, 0, 1, tzinfo=dt.UTC))  # 18:00 in Austin
    [mail] = wait_for(lambda: stack.mailbox.messages, what="the digest")
    assert mail["To"] == DIGEST_TO and mail["Subject"] == "Comfort Zone Heating & Air: daily digest for 2026-12-02"
    body = mail.get_payload(decode=True).decode()
    assert "Calls: 2" in body and "emergency 1" in body and "booked 1" in body
    assert "Needs attention (1):" in body and "emergency from +15125550123" in body
    assert "New bookings (1):" in body and "Dana Kim" in body and "Wed Dec 2, 12 PM-4 PM" in body
    stack.clock.advance(3600)
    wait_for(
        lambda: all(d["status"] == "delivered" for d in stack.followups() if d["channel"] == "email_digest"),
        what="the digest delivery",
    )
    assert len(stack.mailbox.messages) == 1  # one digest a day


def test_ical_feed_of_a_day_behind_the_api_auth(stack: Stack) -> None:
    appointment = book(stack)
    response = stack.server.api("/api/calendar.ics", date="2026-12-02")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["uid"]) == f"appointment-{appointment['id']}@hvac-agent"
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 2, 12, 0, tzinfo=event.decoded("dtstart").tzinfo)
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(hours=-6)
    assert "Dana Kim" in str(event["summary"]) and "4410 Duval Street" in str(event["location"])
    empty = stack.server.api("/api/calendar.ics", date="2026-12-03")
    assert Calendar.from_ical(empty.content).walk("VEVENT") == []


def test_a_caller_can_be_forgotten(stack: Stack) -> None:
    appointment = book(stack, "the second one")
    wait_for(lambda: stack.twilio.sent_to(CALLER), what="the confirmation")
    stack.text_in(CALLER, "HELP")
    call_sid = appointment["call_sid"]
    gone = httpx.delete(f"{stack.server.base_url}/api/callers/(512) 555-0123", timeout=10)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"phone": CALLER, "appointments": 1, "calls": 1, "outbox_events": 2, "consent": 1}
    kept = stack.server.api(f"/api/appointments/{appointment['id']}").json()
    assert (kept["date"], kept["window"], kept["status"]) == ("2026-12-03", "08:00-12:00", "booked")
    assert CALLER not in str(kept) and "Dana" not in str(kept) and "Duval" not in str(kept)
    assert stack.server.api(f"/api/calls/{call_sid}").status_code == 404
    assert stack.server.api("/api/appointments", phone=CALLER).json() == []
    # The pending reminder never goes out, and nothing about the caller is left in the outbox.
    stack.clock.advance(2 * 86400)
    reminder = [d for d in stack.followups() if d["channel"] == "sms_reminder"]
    assert reminder[0]["status"] == "skipped" and CALLER not in str(stack.followups())
    assert len(stack.twilio.sent_to(CALLER)) == 1
    assert httpx.delete(f"{stack.server.base_url}/api/callers/not-a-number", timeout=10).status_code == 422


def test_summary_from_the_llm_when_configured(tmp_path: Path) -> None:
    """With an LLM configured, the post-call summary is the model's (fake OpenAI server over HTTP),
    written after the call; the rules agent still answers the call itself here."""
    llm_summary = "Asked: furnace out, no heat.\nDecided: booked Wed 12-4.\nFor the technician: gate code none."
    with serve_openai([FakeResponse(text=llm_summary)]) as llm:

        def settings(port: int) -> Settings:
            return make_settings(tmp_path, port, llm_base_url=llm.base_url, llm_api_key="test", outbox_poll_s=0.05)

        rules = build_agent(make_settings(tmp_path, 0), FixedClock(NOW))
        with app_server(settings, clock=FixedClock(NOW), agent=rules) as server:
            with server.call() as call:
                book_cooperatively(call)
                call.hang_up()
            record = wait_for(
                lambda: (r := server.api(f"/api/calls/{call.call_sid}").json())["summary"] == llm_summary and r,
                what="the LLM summary",
            )
            assert record["outcome"] == "booked"
        [request] = llm.requests
        prompt = request["messages"][-1]["content"]
        assert "caller: dana kim" in prompt and "4410 duval street 78751" in prompt  # the transcript
        assert "post-call notes" in request["messages"][0]["content"]
