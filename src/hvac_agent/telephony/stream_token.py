"""Per-call stream tokens: the media stream's `start` frame must prove it belongs to its call.

The upgrade's `X-Twilio-Signature` is the same for every call (it covers only the wss URL), and
`start` is unsigned: without more, one captured header would let anyone open "calls" with any call
SID and caller ID. So the `<Stream>` TwiML we answer for a call carries `<Parameter>`s — the call
SID, the caller and a token, an HMAC-SHA256 over those two and an expiry with a server secret —
which Twilio echoes in `start.customParameters`. A `start` whose call SID, caller or token does not
match is refused before anything reaches the dialogue. Pure functions: the edge supplies the
secret (`stream_secret`) and the time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping

from hvac_agent.telephony.twiml import clean

CALL_SID = "call_sid"
CALLER = "caller"
TOKEN = "token"
TOKEN_TTL_S = 300  # from our TwiML to Twilio's `start`: seconds in practice
_CONTEXT = "hvac-agent stream token v1"


def _mac(secret: bytes, call_sid: str, caller: str, expires: int) -> str:
    message = "\n".join((_CONTEXT, call_sid, caller, str(expires))).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def stream_parameters(
    secret: bytes, call_sid: str, caller: str | None, now: dt.datetime, ttl_s: int = TOKEN_TTL_S
) -> dict[str, str]:
    """The `<Parameter>`s for this call's `<Stream>`: call SID, caller and their token.

    The caller is signed as TwiML will carry it (cleaned), so Twilio's echo matches byte for byte.
    """
    caller = clean(caller or "")
    expires = int(now.timestamp()) + ttl_s
    return {CALL_SID: call_sid, CALLER: caller, TOKEN: f"{expires}.{_mac(secret, call_sid, caller, expires)}"}


def start_refusal(secret: bytes, call_sid: str, parameters: Mapping[str, str], now: dt.datetime) -> str | None:
    """Why a `start` for `call_sid` with these `customParameters` is not this call's, or None."""
    if parameters.get(CALL_SID) != call_sid:
        return "call_sid_mismatch"
    expires_raw, _, mac = parameters.get(TOKEN, "").partition(".")
    if not expires_raw.isdigit() or not mac:
        return "no_token"
    expires = int(expires_raw)
    if expires < now.timestamp():
        return "token_expired"
    if not hmac.compare_digest(mac.encode(), _mac(secret, call_sid, parameters.get(CALLER, ""), expires).encode()):
        return "token_mismatch"  # another call's token, or the caller ID was changed
    return None
