"""A Twilio stand-in for tests: signed webhook posts that follow each TwiML `action`, as Twilio does."""

from __future__ import annotations

import ssl
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx
from twilio.request_validator import RequestValidator


@dataclass
class Twiml:
    """The parts of a TwiML answer a test looks at."""

    xml: str
    says: list[str] = field(default_factory=list)
    gather_action: str | None = None
    gather: dict[str, str] = field(default_factory=dict)
    dial_numbers: list[str] = field(default_factory=list)
    dial_action: str | None = None
    hangup: bool = False
    connect_action: str | None = None
    stream_url: str | None = None
    stream_parameters: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.says)

    @classmethod
    def parse(cls, body: str) -> Twiml:
        root = ET.fromstring(body)
        assert root.tag == "Response", body
        parsed = cls(xml=body)
        for el in root.iter():
            if el.tag == "Say" and el.text:
                parsed.says.append(el.text)
            elif el.tag == "Gather":
                parsed.gather_action = el.get("action")
                parsed.gather = dict(el.attrib)
            elif el.tag == "Dial":
                parsed.dial_action = el.get("action")
            elif el.tag == "Number" and el.text:
                parsed.dial_numbers.append(el.text.strip())
            elif el.tag == "Hangup":
                parsed.hangup = True
            elif el.tag == "Connect":
                parsed.connect_action = el.get("action")
            elif el.tag == "Stream":
                parsed.stream_url = el.get("url")
            elif el.tag == "Parameter":
                parsed.stream_parameters[el.get("name", "")] = el.get("value", "")
        return parsed


class TwilioCall:
    """One simulated phone call against a running server."""

    def __init__(
        self,
        base_url: str,
        auth_token: str | None,
        *,
        call_sid: str | None = None,
        caller: str = "+15125550123",
        to: str = "+15125550199",
        timeout_s: float = 20.0,
        public_url: str | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")  # where requests go (a test may switch workers)
        self.public_url = (public_url or base_url).rstrip("/")  # what Twilio signs
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.caller = caller
        self.to = to
        self.client = httpx.Client(timeout=timeout_s, verify=verify)
        self.last: Twiml | None = None
        self.history: list[Twiml] = []
        self.last_request: tuple[str, dict[str, str], dict[str, str]] | None = None

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> TwilioCall:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def sign(self, url: str, params: dict[str, str]) -> str:
        assert self.validator is not None
        return str(self.validator.compute_signature(url, params))

    def post_raw(self, url: str, params: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        if not url.startswith("http"):
            url = self.public_url + url
        headers = dict(headers or {})
        if self.validator is not None and "X-Twilio-Signature" not in headers:
            headers["X-Twilio-Signature"] = self.sign(url, params)
        headers.setdefault("I-Twilio-Idempotency-Token", uuid.uuid4().hex)
        target = self.base_url + url[len(self.public_url) :] if url.startswith(self.public_url) else url
        self.last_request = (target, params, headers)
        return self.client.post(target, data=params, headers=headers)

    def _post(self, url: str, extra: dict[str, str]) -> Twiml:
        params = {"CallSid": self.call_sid, "From": self.caller, "To": self.to, "AccountSid": "AC" + "0" * 32}
        params.update(extra)
        response = self.post_raw(url, params)
        assert response.status_code == 200, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/xml"), response.headers
        twiml = Twiml.parse(response.text)
        self.last = twiml
        self.history.append(twiml)
        return twiml

    def retry_last(self) -> httpx.Response:
        """Post the very last request again, as Twilio does when an answer is late."""
        assert self.last_request is not None
        url, params, headers = self.last_request
        return self.client.post(url, data=params, headers=headers)

    def start(self) -> Twiml:
        return self._post("/twilio/voice", {"CallStatus": "ringing", "Direction": "inbound"})

    def _action(self) -> str:
        assert self.last is not None and self.last.gather_action, f"no <Gather> to answer: {self.last}"
        return self.last.gather_action

    def say(self, text: str, confidence: str = "0.92") -> Twiml:
        return self._post(self._action(), {"SpeechResult": text, "Confidence": confidence, "CallStatus": "in-progress"})

    def press(self, digits: str) -> Twiml:
        return self._post(self._action(), {"Digits": digits, "CallStatus": "in-progress"})

    def silence(self) -> Twiml:
        return self._post(self._action(), {"CallStatus": "in-progress"})

    def dial_result(self, status: str) -> Twiml:
        assert self.last is not None and self.last.dial_action
        return self._post(self.last.dial_action, {"DialCallStatus": status})

    def hang_up(self, duration_s: int = 60) -> httpx.Response:
        params = {
            "CallSid": self.call_sid,
            "From": self.caller,
            "CallStatus": "completed",
            "CallDuration": str(duration_s),
        }
        return self.post_raw("/twilio/status", params)
