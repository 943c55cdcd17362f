"""Twilio voice webhooks of both modes (incoming call, gather turns, stream ended, dial result,
message, status): translate form posts to dialogue events and replies to TwiML.

Nothing here decides what to say; it only translates. Whatever goes wrong behind it (session store
or database down, odd fields), Twilio gets valid TwiML — go on, or hand the caller to a person.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.calls import CallService
from hvac_agent.dialogue.state import CallerSaid, DigitsPressed, Event, Reply, Silence
from hvac_agent.guard.call_limit import admit_new_call, limit_message
from hvac_agent.observability.logging import bind_call, get_logger
from hvac_agent.services import services
from hvac_agent.sessions.store import SessionStoreUnavailable
from hvac_agent.telephony import oncall_chain, twiml
from hvac_agent.telephony.security import FORM_STATE_KEY, websocket_url

log = get_logger("hvac_agent.webhooks")
router = APIRouter()

IDEMPOTENCY_HEADER = "i-twilio-idempotency-token"
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
TROUBLE = "I'm sorry, we're having a technical problem on our end."
NO_CALL = "Sorry, this call could not be handled. Goodbye."
LINES_BUSY = "I'm sorry, all our lines are busy right now."


Endpoint = Callable[[Request], Awaitable[Response]]


def webhook(path: str) -> Callable[[Endpoint], Endpoint]:
    """A Twilio webhook as a plain Starlette route: it takes the request and answers TwiML, so
    FastAPI's per-request dependency solving and parameter handling would find nothing to do (it
    cost more than the routing itself). Twilio's form posts are not part of the OpenAPI schema."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_route(path, endpoint, methods=["POST"], include_in_schema=False)
        return endpoint

    return register


def xml(body: str) -> Response:
    return Response(content=body, media_type="application/xml")


def _calls(request: Request) -> CallService:
    """Read in the handler, not injected: a FastAPI dependency costs a second round of dependency
    solving on every webhook (more than the rest of routing a turn)."""
    return services(request).calls


def public(request: Request, path: str) -> str:
    return f"{services(request).public_url()}{path}"


async def _form(request: Request) -> dict[str, str]:
    checked: dict[str, str] | None = request.scope.get("state", {}).get(FORM_STATE_KEY)
    if checked is not None:  # the signature check has parsed it already
        return checked
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - malformed bodies get a polite answer, not a 500
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _call_form(request: Request) -> tuple[dict[str, str], str]:
    """The posted form and its `CallSid`; every log line of this request carries the SID."""
    form = await _form(request)
    call_sid = form.get("CallSid", "").strip()
    bind_call(call_sid)
    return form, call_sid


EXPECTED_FAILURES = (BookingUnavailable, SessionStoreUnavailable)


def _failed(request: Request, event: str, call_sid: str, error: Exception) -> None:
    """An outage we expect is logged by its class; anything else is a bug: traceback and a metric."""
    if isinstance(error, EXPECTED_FAILURES):
        log.error(event, call_sid=call_sid, error=type(error).__name__)
        return
    services(request).metrics.unexpected_errors.labels(where="webhook").inc()
    log.error(event, call_sid=call_sid, error=type(error).__name__, exc_info=error)


def _fallback(request: Request, lead: str = TROUBLE) -> Response:
    """When we cannot run the dialogue: hand the caller to a person rather than drop them."""
    profile = services(request).profile
    return xml(
        twiml.transfer(
            f"{lead} Let me connect you with our office.",
            profile.transfer_number,
            public(request, "/twilio/dial-done"),
        )
    )


def _voice_mode(request: Request) -> str:
    """`HVAC_VOICE_MODE`, or the webhook URL's `?mode=gather|stream` (one number per mode)."""
    asked = request.query_params.get("mode")
    return asked if asked in ("gather", "stream") else services(request).settings.voice_mode


def _parse_turn(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


@webhook("/twilio/voice")
async def incoming_call(request: Request) -> Response:
    calls = _calls(request)
    form, call_sid = await _call_form(request)
    if not call_sid:
        return xml(twiml.speak_then_hang_up(NO_CALL))
    caller = form.get("From")
    svc = services(request)
    if not await admit_new_call(svc.call_limit, svc.metrics, caller, call_sid):
        return xml(twiml.speak_then_hang_up(limit_message(svc.profile)))
    if _voice_mode(request) == "stream":
        stream_url = websocket_url(svc.public_url()) + "/twilio/stream"
        try:  # the call SID, caller and their token: `start` must echo them (stream_token.py)
            parameters = await svc.stream_tokens.parameters(call_sid, caller)
        except Exception as error:  # noqa: BLE001 - the caller goes to a person (_failed logs it)
            _failed(request, "stream_token_failed", call_sid, error)
            return _fallback(request)
        return xml(twiml.connect_stream(stream_url, public(request, "/twilio/stream-ended"), parameters))
    try:
        outcome = await calls.start(call_sid, caller, token=request.headers.get(IDEMPOTENCY_HEADER))
    except Exception as error:  # noqa: BLE001 - the caller goes to a person (_failed logs it)
        _failed(request, "start_failed", call_sid, error)
        return _fallback(request)
    return _render(request, outcome.reply, outcome.next_turn, outcome.voice)


@webhook("/twilio/gather")
async def gather_result(request: Request) -> Response:
    calls = _calls(request)
    form, call_sid = await _call_form(request)
    if not call_sid:
        return xml(twiml.speak_then_hang_up(NO_CALL))
    event: Event
    digits = "".join(ch for ch in form.get("Digits", "") if ch.isdigit() or ch in "*#").strip("#")
    speech = form.get("SpeechResult", "").strip()
    if speech:
        confidence = _float(form.get("Confidence"))
        event = CallerSaid(text=speech[:1000], confidence=confidence)
    elif digits:
        event = DigitsPressed(digits=digits[:32])
    else:
        event = Silence()
    try:
        outcome = await calls.turn(
            call_sid,
            event,
            turn=_parse_turn(request.query_params.get("turn")),
            token=request.headers.get(IDEMPOTENCY_HEADER),
            caller=form.get("From"),
        )
    except Exception as error:  # noqa: BLE001 - the caller goes to a person (_failed logs it)
        _failed(request, "turn_failed", call_sid, error)
        return _fallback(request)
    return _render(request, outcome.reply, outcome.next_turn, outcome.voice)


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _render(request: Request, reply: Reply, next_turn: int, voice: str | None = None) -> Response:
    if oncall_chain.is_oncall(reply):
        profile = services(request).calls.profile
        return xml(oncall_chain.dial(reply.say, profile, public(request, "/twilio/dial-done"), voice=voice))
    return xml(
        twiml.render(
            reply,
            action_url=public(request, f"/twilio/gather?turn={next_turn}"),
            dial_done_url=public(request, "/twilio/dial-done"),
            voice=voice,
        )
    )


@webhook("/twilio/dial-done")
async def dial_done(request: Request) -> Response:
    calls = _calls(request)
    """After a `<Dial>`: nobody answered → alert the office and take a message; else the call is over."""
    form, call_sid = await _call_form(request)
    status = form.get("DialCallStatus", "")
    if status in ("completed", "answered"):
        return xml(twiml.speak_then_hang_up(""))
    profile = calls.profile
    following = oncall_chain.next_step(
        profile, request.query_params.get("chain"), request.query_params.get("step"), status
    )
    if following is not None:  # the on-call chain goes on: the next number rings
        log.info("oncall_next", call_sid=call_sid, step=following, dial_status=status)
        return xml(oncall_chain.dial("", profile, public(request, "/twilio/dial-done"), following))
    if call_sid:
        try:
            await calls.transfer_unanswered(
                call_sid, dial_status=status, caller=form.get("From"), dial_sid=form.get("DialCallSid")
            )
        except Exception as error:  # noqa: BLE001 - the caller still gets to leave a message (_failed logs it)
            _failed(request, "transfer_alert_failed", call_sid, error)
    return xml(
        twiml.take_message(
            "I'm sorry, nobody is available to take your call right now. Please leave a short message "
            "with your name and number after this, and we'll call you back.",
            public(request, "/twilio/message"),
        )
    )


@webhook("/twilio/message")
async def message(request: Request) -> Response:
    calls = _calls(request)
    form, call_sid = await _call_form(request)
    text = form.get("SpeechResult", "").strip()
    if call_sid and text:
        try:
            await calls.take_message(call_sid, text[:2000])
        except Exception as error:  # noqa: BLE001 - the caller is thanked anyway (_failed logs it)
            _failed(request, "message_not_saved", call_sid, error)
    profile = services(request).profile
    thanks = "Thank you, we'll call you back as soon as we can." if text else "We didn't get a message."
    return xml(twiml.speak_then_hang_up(f"{thanks} Thanks for calling {profile.name}. Goodbye."))


@webhook("/twilio/stream-ended")
async def stream_ended(request: Request) -> Response:
    calls = _calls(request)
    """Stream mode's `<Connect>` action: the stream closed; transfer or end as the dialogue decided."""
    form, call_sid = await _call_form(request)
    profile = services(request).profile
    outcome = None
    if call_sid:
        try:
            outcome = await calls.final_outcome(call_sid)
        except Exception as error:  # noqa: BLE001 - a person takes the call (_failed logs it)
            _failed(request, "outcome_lookup_failed", call_sid, error)
            return _fallback(request)
    if call_sid and outcome is None:
        # The stream never reached the dialogue (every stream slot taken, or refused): a person takes the call.
        return _fallback(request, LINES_BUSY)
    dial_done = public(request, "/twilio/dial-done")
    if outcome == "emergency":
        return xml(oncall_chain.dial("", calls.profile, dial_done))
    if outcome == "transferred":
        return xml(twiml.transfer("", profile.transfer_number, dial_done))
    if outcome == "booked" and call_sid and await _wants_oncall(calls, call_sid):
        return xml(oncall_chain.dial("", calls.profile, dial_done))
    return xml(twiml.speak_then_hang_up(""))


async def _wants_oncall(calls: CallService, call_sid: str) -> bool:
    try:
        return await calls.wants_oncall(call_sid)
    except Exception as error:  # noqa: BLE001 - the booking stands; the call ends politely
        log.error("oncall_lookup_failed", call_sid=call_sid, error=type(error).__name__)
        return False


@webhook("/twilio/status")
async def status_callback(request: Request) -> Response:
    calls = _calls(request)
    form, call_sid = await _call_form(request)
    status = form.get("CallStatus", "")
    if call_sid and status in FINAL_STATUSES:
        duration = form.get("CallDuration", "")
        try:
            await calls.end_call(call_sid, duration_s=int(duration) if duration.isdigit() else None)
        except Exception as error:  # noqa: BLE001 - Twilio gets its empty answer (_failed logs it)
            _failed(request, "status_finalise_failed", call_sid, error)
    return xml('<?xml version="1.0" encoding="UTF-8"?><Response />')
