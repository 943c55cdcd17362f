"""The request's real peer, and forwarded headers believed only from configured proxies.

The socket's peer is recorded before anything else looks at the request, then uvicorn's proxy
middleware applies `X-Forwarded-For`/`-Proto` — but only when that peer is one of
`HVAC_TRUSTED_PROXIES` (none by default). `serve` turns uvicorn's own proxy handling off, which
otherwise believes any loopback peer: a proxy on the same host would make every client look local.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

PEER_KEY = "hvac_agent.peer"
# Headers through which a proxy names someone else as the client.
FORWARDING_HEADERS = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-real-ip", b"x-client-ip", b"true-client-ip", b"x-forwarded-host"}
)


class TrustedProxies:
    """Outermost middleware: keeps the socket's peer in the scope, then applies forwarded headers
    from trusted proxies only (the client address and scheme the rest of the app sees)."""

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        # No trusted proxy (the default): uvicorn's middleware would believe no header anyway.
        self.app = ProxyHeadersMiddleware(app, trusted_hosts=list(trusted)) if trusted else app  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[PEER_KEY] = client[0] if client else ""
        await self.app(scope, receive, send)  # type: ignore[arg-type]


def real_peer(scope: Scope) -> str:
    """The address of the socket's other end (never taken from a header)."""
    peer = scope.get(PEER_KEY)
    if isinstance(peer, str):
        return peer
    client = scope.get("client")
    return str(client[0]) if client else ""


def client_address(scope: Scope) -> str:
    """The client as far as we can tell: the forwarded address when a trusted proxy named it."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_local_request(scope: Scope) -> bool:
    """Loopback only: the real peer is loopback and no proxy speaks for someone else. A proxy on
    this host forwarding an outside client is not local, whatever address it forwards."""
    if not is_loopback(real_peer(scope)):
        return False
    return not any(name.lower() in FORWARDING_HEADERS for name, _ in scope.get("headers", []))


def header(scope: Scope, name: bytes) -> str:
    """A request header's value ("" when absent); `name` in lower case."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""
