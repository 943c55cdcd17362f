"""Bounded request bodies, whoever sends them and whether or not signatures are checked.

A body is read in full here, before any handler runs: over `max_bytes` → 413 (from the declared
length at once, else as soon as the count passes it), not complete within `timeout_s` → 408 (a
client trickling bytes holds nothing for long), and webhooks under `/twilio/` take form bodies
only → 415 (a signature is computed over form fields; another body type would be checked
without the fields the handler then reads). The handler gets the body replayed from memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hvac_agent.guard.responses import refuse_http

FORM = "application/x-www-form-urlencoded"


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        timeout_s: float,
        form_prefix: str = "/twilio/",
        on_refuse: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.form_prefix = form_prefix
        self.on_refuse = on_refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length")
        chunked = b"transfer-encoding" in headers
        if declared is None and not chunked:  # no body at all (GET, HEAD, an empty POST)
            await self.app(scope, receive, send)
            return
        length = int(declared) if declared is not None and declared.isdigit() else None
        if length is not None and length > self.max_bytes:
            await self._refuse(send, "body_too_large", 413, f"request body over {self.max_bytes} bytes")
            return
        webhook = scope.get("path", "").startswith(self.form_prefix)
        if webhook and (length or chunked) and not _is_form(headers.get(b"content-type", b"")):
            await self._refuse(send, "not_form", 415, f"webhooks take {FORM} bodies only")
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return  # the client went away: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await self._refuse(send, "body_too_large", 413, f"request body over {self.max_bytes} bytes")
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._refuse(send, "body_timeout", 408, f"request body not received within {self.timeout_s:g} s")
            return
        await self.app(scope, replay_body(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send, reason: str, status: int, detail: str) -> None:
        if self.on_refuse is not None:
            self.on_refuse(reason)
        await refuse_http(send, status, detail)


def _is_form(content_type: bytes) -> bool:
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == FORM.encode()


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body once, from memory; then the real channel (so a disconnect is still seen)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def read_body(receive: Receive) -> bytes | None:
    """The whole body (already bounded by `BodyGuard`), or None if the client went away."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
