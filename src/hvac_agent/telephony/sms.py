"""Twilio inbound messaging webhook (`POST /twilio/sms`): STOP, START and HELP; consent recorded.

Signed like the voice webhooks (the same middleware checks every `/twilio/*` post). Twilio itself
answers the opt-out and opt-in words on ordinary numbers (carriers require its confirmation), so
for those we record the caller's choice and answer an empty `<Response/>`; HELP gets our help
text. Whatever goes wrong, Twilio gets valid TwiML.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from hvac_agent.calls import caller_id_e164
from hvac_agent.followups import texts
from hvac_agent.followups.consent import keyword
from hvac_agent.observability.logging import get_logger
from hvac_agent.services import services
from hvac_agent.telephony.twiml import clean

log = get_logger("hvac_agent.sms")
router = APIRouter()


def _twiml(message: str | None = None) -> Response:
    response = MessagingResponse()
    if message:
        response.message(clean(message))
    return Response(content=str(response.to_xml(xml_declaration=True)), media_type="application/xml")


@router.post("/twilio/sms")
async def inbound_sms(request: Request) -> Response:
    try:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    except Exception:  # noqa: BLE001 - a malformed body gets a polite empty answer
        return _twiml()
    phone = caller_id_e164(form.get("From"))
    found = keyword(form.get("Body", ""), form.get("OptOutType"))
    svc = services(request)
    profile, consent, now = svc.profile, svc.followups.consent, svc.clock.now()
    sid = form.get("MessageSid", "")[:40]
    try:
        if found == "stop" and phone:
            await consent.record(phone, "opted_out", f"sms:STOP:{sid}", now)
            log.info("sms_opt_out", phone=phone)
            return _twiml()
        if found == "start" and phone:
            await consent.record(phone, "opted_in", f"sms:START:{sid}", now)
            log.info("sms_opt_in", phone=phone)
            return _twiml()
    except Exception as error:  # noqa: BLE001 - Twilio still blocks texts to a STOP; we log and answer
        log.error("sms_consent_not_recorded", error=type(error).__name__)
        return _twiml()
    if found == "help":
        return _twiml(texts.help_text(profile))
    return _twiml(texts.other_reply(profile))
