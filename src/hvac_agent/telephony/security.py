"""`X-Twilio-Signature` checking as pure ASGI middleware.

Pure ASGI (not `BaseHTTPMiddleware`) so it sees WebSocket upgrades too: a refused stream upgrade
is answered HTTP 403 before the socket is accepted. The signed URL is built from the configured
public URL — never from the Host header, which a proxy rewrites and an attacker controls.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.request_validator import RequestValidator

from hvac_agent.guard.bodies import read_body, replay_body
from hvac_agent.guard.peers import client_address, header
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.security")
FORM_STATE_KEY = "twilio_form"  # the checked form, for the handler (`request.state`): parsed once


def websocket_url(public_url: str) -> str:
    if public_url.startswith("https://"):
        return "wss://" + public_url[len("https://") :]
    if public_url.startswith("http://"):
        return "ws://" + public_url[len("http://") :]
    return public_url


class TwilioSignatureMiddleware:
    """Refuses `/twilio/*` requests whose signature does not match (403, state untouched)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        auth_token: str | None,
        public_url: Callable[[], str],
        prefix: str = "/twilio/",
        on_reject: Callable[[Scope], None] | None = None,
    ) -> None:
        self.app = app
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_url = public_url
        self.prefix = prefix
        self.on_reject = on_reject
        self.rejected = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.validator is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        signature = header(scope, b"x-twilio-signature")
        query = scope.get("query_string", b"").decode("latin-1")
        base = self.public_url().rstrip("/")
        if scope["type"] == "websocket":
            url = websocket_url(base) + path + (f"?{query}" if query else "")
            if not signature or not self.validator.validate(url, {}, signature):
                self._reject(scope)
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)  # bounded, and form-only under /twilio/, by `BodyGuard`
        if body is None:
            return
        url = base + path + (f"?{query}" if query else "")
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not signature or not self.validator.validate(url, params, signature):
            self._reject(scope)
            await _forbidden(send)
            return
        scope.setdefault("state", {})[FORM_STATE_KEY] = params
        await self.app(scope, replay_body(body, receive), send)

    def _reject(self, scope: Scope) -> None:
        self.rejected += 1
        if self.rejected <= 20 or self.rejected % 1000 == 0:  # a flood of forgeries must not flood the logs
            log.warning(
                "twilio_signature_rejected",
                path=scope.get("path", "")[:200],
                client=client_address(scope),
                count=self.rejected,
            )
        if self.on_reject:
            self.on_reject(scope)


async def _forbidden(send: Send) -> None:
    body = b"Forbidden: invalid Twilio signature"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
