"""`X-Twilio-Signature` checking as pure ASGI middleware.

Pure ASGI (not `BaseHTTPMiddleware`) so it sees WebSocket upgrades too: a refused stream upgrade
is answered HTTP 403 before the socket is accepted. The signed URL is built from the configured
public URL — never from the Host header, which a proxy rewrites and an attacker controls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.security")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 64 * 1024


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
        on_reject: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_url = public_url
        self.prefix = prefix
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.validator is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        signature = _header(scope, b"x-twilio-signature")
        query = scope.get("query_string", b"").decode("latin-1")
        base = self.public_url().rstrip("/")
        if scope["type"] == "websocket":
            url = websocket_url(base) + path + (f"?{query}" if query else "")
            if not signature or not self.validator.validate(url, {}, signature):
                self._reject(path)
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        url = base + path + (f"?{query}" if query else "")
        params: dict[str, str] = {}
        if _header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if more or not signature or not self.validator.validate(url, params, signature):
            self._reject(path)
            await _forbidden(send)
            return
        await self.app(scope, _replay(body), send)

    def _reject(self, path: str) -> None:
        log.warning("twilio_signature_rejected", path=path)
        if self.on_reject:
            self.on_reject(path)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """Read the whole request body (bounded). Returns (body, too_large)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


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
