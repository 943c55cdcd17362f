"""Plain refusals sent straight on ASGI `send`: before the app runs, nothing else is involved."""

from __future__ import annotations

import json

from starlette.types import Send


async def refuse_http(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """A JSON `{"detail": …}` answer; the connection closes (its body may be half read)."""
    body = json.dumps({"detail": detail}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def refuse_websocket(send: Send) -> None:
    """Closing before accepting: the server answers the upgrade with HTTP 403."""
    await send({"type": "websocket.close", "code": 1008})
