"""Who may read the office's data: `/api/*` and `/console`.

With `HVAC_API_TOKEN`: a matching bearer token. Without it: loopback clients only, judged on the
socket's real peer (`peers.is_local_request`). And a server bound to a non-loopback address
with no token refuses them outright — anyone on the network would otherwise be one forwarded
header or one misconfigured proxy away from every customer's name and address.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from hvac_agent.config import Settings
from hvac_agent.guard.peers import header, is_local_request, is_loopback
from hvac_agent.guard.responses import refuse_http, refuse_websocket

PROTECTED_PREFIXES = ("/api/", "/console")
LOCKED = (
    "/api and /console are refused: this server listens on a non-loopback address without "
    "HVAC_API_TOKEN; set HVAC_API_TOKEN to use them"
)
NOT_LOCAL = "set HVAC_API_TOKEN to allow non-local access"
BAD_TOKEN = "missing or invalid bearer token"


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    detail: str
    challenge: bool = False  # answer with `WWW-Authenticate: Bearer`


def locked(settings: Settings) -> bool:
    """Bound beyond loopback (by `serve --host`) with no token: `/api` and `/console` stay shut."""
    host = settings.listen_host
    return not settings.api_token and bool(host) and not is_loopback(str(host))


def is_protected(path: str) -> bool:
    return path.startswith(PROTECTED_PREFIXES[0]) or path == "/console" or path.startswith("/console/")


def refusal(settings: Settings, scope: Scope) -> Refusal | None:
    """Why this request may not read office data, or None when it may."""
    if locked(settings):
        return Refusal(403, LOCKED)
    token = settings.api_token
    if token:
        given = header(scope, b"authorization")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return Refusal(401, BAD_TOKEN, challenge=True)
        return None
    if not is_local_request(scope):
        return Refusal(403, NOT_LOCAL)
    return None


class ApiAccessGuard:
    """Applies `refusal` to every `/api/*` request and WebSocket, whatever route serves it (so an
    endpoint added later cannot forget it), and to `/console` when no token is set."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        # With a token, the console checks it itself (a browser signs in once and keeps a signed
        # cookie: console/access.py); without one, the rule here is the console's too.
        console_signs_in = self.settings.api_token and not path.startswith(PROTECTED_PREFIXES[0])
        if scope["type"] in ("http", "websocket") and is_protected(path) and not console_signs_in:
            refused = refusal(self.settings, scope)
            if refused is not None:
                if scope["type"] == "websocket":
                    await refuse_websocket(send)
                else:
                    challenge = {"WWW-Authenticate": "Bearer"} if refused.challenge else None
                    await refuse_http(send, refused.status, refused.detail, challenge)
                return
        await self.app(scope, receive, send)
