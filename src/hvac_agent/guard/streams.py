"""A cap on concurrent media streams per process: each carries live audio both ways, and a
process past what its cores can pace would break every call's audio, not just the newest."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from hvac_agent.guard.responses import refuse_websocket


class StreamSlots:
    """How many streams this process carries, against its limit (shared with `/health`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def take(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def give_back(self) -> None:
        self.active = max(0, self.active - 1)


class StreamCap:
    """Refuses a stream upgrade on `path` (HTTP 403, before accept) while every slot is taken."""

    def __init__(
        self, app: ASGIApp, *, slots: StreamSlots, path: str, on_refuse: Callable[[str], None] | None = None
    ) -> None:
        self.app = app
        self.slots = slots
        self.path = path
        self.on_refuse = on_refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        if not self.slots.take():
            if self.on_refuse is not None:
                self.on_refuse("stream_cap")
            await refuse_websocket(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.give_back()
