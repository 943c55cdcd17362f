"""A local stand-in for the Twilio Messaging REST API, over real HTTP.

`POST /2010-04-01/Accounts/{sid}/Messages.json` (basic auth, form `To`, `From` or
`MessagingServiceSid`, `Body`) answers 201 with the message resource; `GET` on the same path lists
messages, filtered by `To`, `From` and `DateSent>` as Twilio documents. Like Twilio it refuses to
text a number that sent STOP (error 21610). Faults: `fail_next` statuses to answer instead,
`hold_next` to accept a message and then not answer (the sender dies waiting).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import threading
import uuid
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

from tests.support.server import ThreadServer

ACCOUNT_SID = "AC" + "1" * 32
OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_WORDS = {"START", "YES", "UNSTOP"}


class FakeTwilioMessaging:
    def __init__(self, auth_token: str, account_sid: str = ACCOUNT_SID) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, Any]] = []
        self.opted_out: set[str] = set()
        self.fail_next: list[int] = []
        self.hold_next = 0  # accept this many messages without ever answering
        self.held = threading.Event()  # set once a held message was accepted
        self._release = threading.Event()  # lets held requests end when the fake stops
        self.lock = threading.Lock()
        self.server = ThreadServer(self._app())

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> FakeTwilioMessaging:
        self.server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._release.set()
        self.server.stop()

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    # ---- the caller's phone ------------------------------------------------------------------

    def text_in(
        self, app_base: str, public_url: str, sender: str, body: str, to: str = "+15125550199"
    ) -> httpx.Response:
        """The caller texts our number: Twilio applies STOP/START itself, then posts the signed webhook."""
        word = body.strip().upper()
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": self.account_sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        if word in OPT_OUT_WORDS:
            self.opted_out.add(sender)
            params["OptOutType"] = "STOP"
        elif word in OPT_IN_WORDS:
            self.opted_out.discard(sender)
            params["OptOutType"] = "START"
        url = public_url.rstrip("/") + "/twilio/sms"
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        return httpx.post(
            app_base.rstrip("/") + "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )

    # ---- the API -----------------------------------------------------------------------------

    def _app(self) -> FastAPI:
        app = FastAPI()
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

        def authorised(request: Request) -> bool:
            expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
            return request.headers.get("authorization", "") == f"Basic {expected}"

        def error(status: int, code: int, message: str) -> JSONResponse:
            return JSONResponse(
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
                status_code=status,
            )

        @app.post(path)
        async def create(request: Request) -> JSONResponse:
            if not authorised(request):
                return error(401, 20003, "Authenticate")
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            with self.lock:
                if self.fail_next:
                    status = self.fail_next.pop(0)
                    return error(status, 20500 if status >= 500 else 20429, "fake failure")
            to, body = form.get("To", ""), form.get("Body", "")
            sender = form.get("From") or form.get("MessagingServiceSid", "")
            if not to or not body or not sender:
                return error(400, 21604, "A 'To', 'Body' and 'From' are required")
            if to in self.opted_out:
                return error(400, 21610, "Attempt to send to unsubscribed recipient")
            message = {
                "sid": "SM" + uuid.uuid4().hex,
                "to": to,
                "from": sender,
                "body": body,
                "status": "queued",
                "direction": "outbound-api",
                "date_sent": dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
            }
            with self.lock:
                self.messages.append(message)
                hold = self.hold_next > 0
                if hold:
                    self.hold_next -= 1
            if hold:
                self.held.set()
                # Accepted, never answered: the sender is killed meanwhile.
                await asyncio.to_thread(self._release.wait)
            return JSONResponse(message, status_code=201)

        @app.get(path)
        async def listing(request: Request) -> JSONResponse:
            if not authorised(request):
                return error(401, 20003, "Authenticate")
            q = request.query_params
            with self.lock:
                found = [
                    m
                    for m in self.messages
                    if (not q.get("To") or m["to"] == q["To"]) and (not q.get("From") or m["from"] == q["From"])
                ]
            return JSONResponse({"messages": list(reversed(found)), "page": 0, "page_size": len(found), "uri": path})

        return app
