"""Texts through the Twilio Messaging REST API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).

Sending a message is not idempotent at Twilio: a request that reached Twilio but whose answer was
lost would send twice if simply repeated. So an attempt in doubt first lists what was sent to that
number since the event (`GET …/Messages.json?To=…&DateSent>=…`) and only sends when the same text
is not there.
"""

from __future__ import annotations

import datetime as dt

import httpx

from hvac_agent.followups.errors import DeliveryError

OPTED_OUT_CODE = 21610  # "Attempt to send to unsubscribed recipient": the number sent STOP
HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class TwilioMessaging:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = "https://api.twilio.com",
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._sender = sender
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._http = http or httpx.AsyncClient(timeout=HTTP_TIMEOUT, auth=(account_sid, auth_token))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, to: str, body: str) -> str:
        """Send one text; returns its message SID. Raises `DeliveryError`."""
        form = {"To": to, "Body": body}
        # A Messaging Service SID (MG…) picks the sender itself; otherwise `From` is our number.
        form["MessagingServiceSid" if self._sender.startswith("MG") else "From"] = self._sender
        try:
            response = await self._http.post(self._url, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise DeliveryError(f"twilio unreachable: {type(error).__name__}", retryable=True) from error
        except httpx.HTTPError as error:  # sent, but the answer was lost
            raise DeliveryError(f"twilio: no answer ({type(error).__name__})", retryable=True, in_doubt=True) from error
        if response.status_code in (200, 201):
            return str(response.json().get("sid", ""))
        code, message = _error(response)
        if response.status_code >= 500:
            raise DeliveryError(f"twilio {response.status_code}: {message}", retryable=True, in_doubt=True, code=code)
        retryable = response.status_code == 429
        raise DeliveryError(f"twilio {response.status_code} ({code}): {message}", retryable=retryable, code=code)

    async def find_sent(self, to: str, body: str, since: dt.datetime) -> str | None:
        """The SID of a message with exactly this text sent to `to` since `since`, if any."""
        params = {"To": to, "DateSent>": since.astimezone(dt.UTC).date().isoformat(), "PageSize": "100"}
        if not self._sender.startswith("MG"):
            params["From"] = self._sender
        try:
            response = await self._http.get(self._url, params=params)
        except httpx.HTTPError as error:
            raise DeliveryError(f"twilio list: {type(error).__name__}", retryable=True, in_doubt=True) from error
        if response.status_code != 200:
            raise DeliveryError(f"twilio list {response.status_code}", retryable=True, in_doubt=True)
        for message in response.json().get("messages", []):
            if message.get("body") == body and message.get("direction", "outbound-api").startswith("outbound"):
                return str(message.get("sid", ""))
        return None


def _error(response: httpx.Response) -> tuple[int | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200]
    code = data.get("code")
    return (int(code) if isinstance(code, int | str) and str(code).isdigit() else None), str(data.get("message", ""))
