"""A local webhook receiver over real HTTP: verifies Standard Webhooks signatures (with the
`standardwebhooks` library, as an integrator would), de-duplicates on `webhook-id`, and can be
taken down and brought back on the same port."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.server import ThreadServer


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.verifier = Webhook(secret)
        self.events: dict[str, dict[str, Any]] = {}  # webhook-id → payload (first delivery)
        self.deliveries: list[str] = []  # every accepted webhook-id, duplicates included
        self.rejected = 0
        self.lock = threading.Lock()
        self.server = ThreadServer(self._app())

    @property
    def url(self) -> str:
        return self.server.base_url + "/hooks"

    def up(self) -> None:
        self.server.start()

    def down(self) -> None:
        self.server.stop()

    def of_type(self, prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events.values() if str(e["type"]).startswith(prefix)]

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                payload = self.verifier.verify(body, dict(request.headers))
            except WebhookVerificationError:
                with self.lock:
                    self.rejected += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            message_id = request.headers["webhook-id"]
            with self.lock:
                self.deliveries.append(message_id)
                self.events.setdefault(message_id, payload)
            return JSONResponse({"ok": True})

        return app
