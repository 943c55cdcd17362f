"""Signed webhooks out (office alerts, field-service exports), in the Standard Webhooks format.

Each request carries `webhook-id` (the same on every retry: the receiver's de-duplication key),
`webhook-timestamp` (seconds; receivers refuse stale ones, which stops replays) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`). Receivers verify with any
Standard Webhooks library, e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.followups.errors import DeliveryError

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_STATUSES = frozenset({408, 409, 425, 429})


def signer(secret: str) -> Webhook:
    """`whsec_…` secrets are base64 (the Standard Webhooks form); any other string is used as is."""
    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


class WebhookSender:
    def __init__(
        self,
        secret: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        # The timestamp guards the transport against replays, so it is real time, never a test's
        # virtual "now".
        self._signer = signer(secret) if secret else None
        self._http = http or httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        self._clock = clock

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, url: str, *, message_id: str, event_type: str, payload: dict[str, Any]) -> str:
        """POST `payload` as JSON; returns the HTTP status as the provider reference."""
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        now = self._clock.now()
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "x-hvac-event": event_type,
        }
        if self._signer is not None:
            headers["webhook-signature"] = self._signer.sign(message_id, now, body)
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise DeliveryError(f"receiver unreachable: {type(error).__name__}", retryable=True) from error
        except httpx.HTTPError as error:
            lost = f"receiver: no answer ({type(error).__name__})"
            raise DeliveryError(lost, retryable=True, in_doubt=True) from error
        if 200 <= response.status_code < 300:
            return str(response.status_code)
        retryable = response.status_code >= 500 or response.status_code in RETRY_STATUSES
        raise DeliveryError(f"receiver answered {response.status_code}", retryable=retryable, code=response.status_code)
