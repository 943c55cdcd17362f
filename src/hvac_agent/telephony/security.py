"""`X-Twilio-Signature` checking as pure ASGI middleware.

Pure ASGI (not `BaseHTTPMiddleware`) so it sees WebSocket upgrades too: a refused stream upgrade
is answered HTTP 403 before the socket is accepted. The signed URL is built from the configured
public URL — never from the Host header, which a proxy rewrites and an attacker controls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

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


class Signatures:
    """Twilio's request signature (its docs): base64 of HMAC-SHA1, keyed by the auth token, over the
    URL followed by every form field's name and value, sorted by name.

    The URL as configured is checked first; Twilio may have signed it with or without the
    scheme's port, so those two spellings are accepted too (checked only when the first fails:
    a genuine request costs one HMAC).
    """

    def __init__(self, auth_token: str) -> None:
        self._key = auth_token.encode()

    def signature(self, url: str, params: Mapping[str, str]) -> str:
        data = url + "".join(name + params[name] for name in sorted(params))
        return base64.b64encode(hmac.new(self._key, data.encode(), hashlib.sha1).digest()).decode()

    def valid(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        if not signature:
            return False
        expected = signature.encode()
        if hmac.compare_digest(self.signature(url, params).encode(), expected):
            return True
        return any(
            hmac.compare_digest(self.signature(other, params).encode(), expected) for other in _port_spellings(url)
        )


def _port_spellings(url: str) -> tuple[str, ...]:
    """`url` with the scheme's port added and with any port removed (the ones that differ)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return ()
    host = parts.netloc.split(":")[0]
    default = 443 if parts.scheme in ("https", "wss") else 80
    spellings = (parts._replace(netloc=f"{host}:{port or default}").geturl(), parts._replace(netloc=host).geturl())
    return tuple(dict.fromkeys(s for s in spellings if s != url))


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
        self.signatures = Signatures(auth_token) if auth_token else None
        self.public_url = public_url
        self.prefix = prefix
        self.on_reject = on_reject
        self.rejected = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.signatures is None or scope["type"] not in ("http", "websocket"):
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
            if not self.signatures.valid(url, {}, signature):
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
        if not self.signatures.valid(url, params, signature):
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
