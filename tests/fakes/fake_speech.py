"""Small local fakes of the speech providers, speaking their documented protocols over real HTTP
and WebSocket (served by uvicorn on a loopback port): ElevenLabs multi-context `stream-input`
and REST MP3 streaming, Deepgram live, OpenAI speech and transcriptions, AWS Polly
SynthesizeSpeech. `Faults` scripts what goes wrong: a slow first byte, a 429 storm, the connection
dropped mid-sentence, garbage frames, bad credentials.

Audio is a tone 70 ms per character, so lengths say exactly which text was spoken.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocketDisconnect

from tests.support.server import free_port, serve_in_thread

KEY = "good-key"
MS_PER_CHAR = 70
TONE = bytes([0x9C, 0xA5, 0xB3, 0xA5, 0x9C, 0x1C, 0x25, 0x33, 0x25, 0x1C]) * 16  # μ-law, 160 bytes


def ulaw_for(text: str) -> bytes:
    n = len(text) * MS_PER_CHAR * 8
    return (TONE * (n // len(TONE) + 1))[:n]


def pcm_for(text: str, rate_hz: int) -> bytes:
    n = len(text) * MS_PER_CHAR * rate_hz // 1000
    t = np.arange(n) / rate_hz
    return (np.sin(2 * np.pi * 300 * t) * 8000).astype("<i2").tobytes()


def mp3_for(text: str) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=22050, layout="mono")
        pcm = np.frombuffer(pcm_for(text, 22050), dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = 22050
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


@dataclass
class Faults:
    first_byte_delay_s: float = 0.0
    rate_limit_requests: int = 0  # the next N requests/connections get 429
    drop_after_chars: int | None = None  # cut the connection once this much text was spoken
    drops: int = 1  # how many connections get dropped that way
    refuse_after_drop: bool = False  # and every connection after a drop gets 500
    stall_after_chars: int | None = None  # go silent (socket open) once this much text was spoken
    garbage: bool = False
    transcript: str = "my furnace stopped working"
    # what the fakes saw
    requests: int = 0
    rate_limited: int = 0
    texts: list[str] = field(default_factory=list)  # text received, per context / request
    keepalives: int = 0
    finalizes: int = 0
    close_streams: int = 0
    query: dict[str, str] = field(default_factory=dict)  # ElevenLabs' stream-input query
    deepgram_query: dict[str, str] = field(default_factory=dict)
    dropped: int = 0

    def take_429(self) -> bool:
        self.requests += 1
        if self.rate_limit_requests > 0:
            self.rate_limit_requests -= 1
            self.rate_limited += 1
            return True
        return False


def build_app(faults: Faults) -> FastAPI:
    app = FastAPI()

    # ---- ElevenLabs multi-context stream-input ----------------------------------------------------
    @app.websocket("/v1/text-to-speech/{voice}/multi-stream-input")
    async def elevenlabs_ws(ws: WebSocket, voice: str) -> None:
        faults.query = dict(ws.query_params)
        if ws.headers.get("xi-api-key") != KEY:
            await ws.send_denial_response(JSONResponse({"detail": {"status": "invalid_api_key"}}, status_code=401))
            return
        if faults.take_429():
            await ws.send_denial_response(
                JSONResponse({"detail": "too_many_concurrent_requests"}, 429, headers={"Retry-After": "0.05"})
            )
            return
        if faults.refuse_after_drop and faults.dropped:
            await ws.send_denial_response(JSONResponse({"detail": "internal"}, status_code=500))
            return
        await ws.accept()
        pending: dict[str, str] = {}
        spoken: dict[str, int] = {}
        slot: dict[str, int] = {}  # context → its entry in faults.texts
        first = True
        try:
            while True:
                message = json.loads(await ws.receive_text())
                if message.get("close_socket"):
                    await ws.close()
                    return
                context = message.get("context_id", "")
                text = message.get("text")
                if isinstance(text, str) and text.strip():
                    if context not in slot:
                        faults.texts.append("")
                        slot[context] = len(faults.texts) - 1
                    pending[context] = pending.get(context, "") + text
                    faults.texts[slot[context]] += text
                pending.setdefault(context, "")
                if message.get("flush") or message.get("close_context"):
                    words = pending[context].split()
                    pending[context] = ""
                    for i, word in enumerate(words):
                        piece = word + " "
                        if first and faults.first_byte_delay_s:
                            await asyncio.sleep(faults.first_byte_delay_s)
                        first = False
                        if faults.garbage:
                            await ws.send_text("\x00{not json")
                            continue
                        done = spoken.get(context, 0)
                        if (
                            faults.drop_after_chars is not None
                            and faults.drops > 0
                            and done + len(piece) > faults.drop_after_chars
                        ):
                            faults.drops -= 1
                            faults.dropped += 1
                            await ws.close(code=1011)
                            return
                        if faults.stall_after_chars is not None and done + len(piece) > faults.stall_after_chars:
                            faults.dropped += 1
                            await asyncio.sleep(3600)  # a provider that hangs without closing
                        spoken[context] = done + len(piece)
                        await ws.send_text(
                            json.dumps(
                                {
                                    "audio": base64.b64encode(ulaw_for(piece)).decode(),
                                    "contextId": context,
                                    "alignment": {
                                        "chars": list(piece),
                                        "charStartTimesMs": [0] * len(piece),
                                        "charDurationsMs": [MS_PER_CHAR] * len(piece),
                                    },
                                }
                            )
                        )
                        del i
                    if message.get("close_context"):
                        await ws.send_text(json.dumps({"isFinal": True, "contextId": context}))
        except WebSocketDisconnect:
            return

    # ---- ElevenLabs REST MP3 ---------------------------------------------------------------------
    @app.post("/v1/text-to-speech/{voice}/stream")
    async def elevenlabs_rest(voice: str, request: Request) -> Response:
        if request.headers.get("xi-api-key") != KEY:
            return JSONResponse({"detail": {"status": "invalid_api_key"}}, status_code=401)
        if faults.take_429():
            return JSONResponse({"detail": "rate"}, status_code=429, headers={"Retry-After": "0.05"})
        body = await request.json()
        faults.texts.append(body["text"])
        data = b"garbage!" * 500 if faults.garbage else mp3_for(body["text"])
        return StreamingResponse(_chunks(data, faults), media_type="audio/mpeg")

    # ---- OpenAI speech and transcription ---------------------------------------------------------
    def openai_refusal(request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse(
                {"error": {"message": "Incorrect API key", "type": "invalid_request_error", "code": "invalid_api_key"}},
                status_code=401,
            )
        if faults.take_429():
            return JSONResponse(
                {"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit"}},
                status_code=429,
                headers={"retry-after": "0.05"},
            )
        return None

    @app.post("/v1/audio/speech")
    async def openai_speech(request: Request) -> Response:
        refused = openai_refusal(request)
        if refused is not None:
            return refused
        body = await request.json()
        faults.texts.append(body["input"])
        assert body["response_format"] == "pcm"
        return StreamingResponse(_chunks(pcm_for(body["input"], 24000), faults), media_type="audio/pcm")

    @app.post("/v1/audio/transcriptions")
    async def openai_transcribe(request: Request) -> Response:
        refused = openai_refusal(request)
        if refused is not None:
            return refused
        form = await request.form()
        upload: Any = form["file"]
        audio = await upload.read()
        faults.texts.append(f"{len(audio)} bytes")
        if faults.first_byte_delay_s:
            await asyncio.sleep(faults.first_byte_delay_s)
        if faults.garbage:
            return Response(b"\x00garbage", media_type="application/json")
        return JSONResponse({"text": faults.transcript})

    # ---- AWS Polly ------------------------------------------------------------------------------
    @app.post("/v1/speech")
    async def polly(request: Request) -> Response:
        if "Credential=AKIDGOOD/" not in request.headers.get("authorization", ""):
            return JSONResponse(
                {"message": "The security token included in the request is invalid."},
                status_code=403,
                headers={"x-amzn-ErrorType": "UnrecognizedClientException"},
            )
        if faults.take_429():
            return JSONResponse(
                {"message": "Rate exceeded"}, status_code=400, headers={"x-amzn-ErrorType": "ThrottlingException"}
            )
        body = await request.json()
        faults.texts.append(body["Text"])
        assert body["OutputFormat"] == "pcm" and body["SampleRate"] == "8000"
        data = pcm_for(body["Text"], 8000)
        return StreamingResponse(_chunks(data, faults), media_type="audio/pcm")

    # ---- Deepgram live ---------------------------------------------------------------------------
    @app.websocket("/v1/listen")
    async def deepgram(ws: WebSocket) -> None:
        faults.deepgram_query = dict(ws.query_params)
        if ws.headers.get("authorization") != f"Token {KEY}":
            await ws.send_denial_response(JSONResponse({"err_code": "INVALID_AUTH"}, status_code=401))
            return
        if faults.take_429():
            await ws.send_denial_response(JSONResponse({"err_code": "TOO_MANY_REQUESTS"}, status_code=429))
            return
        if faults.refuse_after_drop and faults.dropped:
            await ws.send_denial_response(JSONResponse({"err_code": "INTERNAL"}, status_code=500))
            return
        await ws.accept()
        received = 0
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    received += len(message["bytes"])
                    if faults.drop_after_chars is not None and faults.drops > 0 and received > faults.drop_after_chars:
                        faults.drops -= 1
                        faults.dropped += 1
                        await ws.close(code=1011)
                        return
                    if faults.garbage:
                        await ws.send_text("\x00 not json")
                        continue
                    words = faults.transcript.split()
                    heard = " ".join(words[: max(1, min(len(words), received // 4000))])
                    await ws.send_text(json.dumps(_results(heard, is_final=False)))
                    continue
                control = json.loads(message.get("text") or "{}")
                kind = control.get("type")
                if kind == "KeepAlive":
                    faults.keepalives += 1
                elif kind == "Finalize" and faults.garbage:
                    await ws.send_text("\x00 not json either")
                elif kind == "Finalize":
                    faults.finalizes += 1
                    if faults.first_byte_delay_s:
                        await asyncio.sleep(faults.first_byte_delay_s)
                    if received:
                        await ws.send_text(json.dumps(_results(faults.transcript, is_final=True, from_finalize=True)))
                    received = 0
                elif kind == "CloseStream":
                    faults.close_streams += 1
                    await ws.send_text(json.dumps({"type": "Metadata", "request_id": "fake"}))
                    await ws.close()
                    return
        except WebSocketDisconnect:
            return

    return app


def _results(text: str, *, is_final: bool, from_finalize: bool = False) -> dict[str, Any]:
    return {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": 1.0,
        "start": 0.0,
        "is_final": is_final,
        "speech_final": is_final,
        "from_finalize": from_finalize,
        "channel": {"alternatives": [{"transcript": text, "confidence": 0.93, "words": []}]},
    }


async def _chunks(data: bytes, faults: Faults, size: int = 1600) -> AsyncIterator[bytes]:
    if faults.first_byte_delay_s:
        await asyncio.sleep(faults.first_byte_delay_s)
    for i in range(0, len(data), size):
        if faults.drop_after_chars is not None and faults.drops > 0 and i >= faults.drop_after_chars * 8:
            faults.drops -= 1
            faults.dropped += 1
            raise ConnectionResetError("fake provider dropped the connection")
        yield data[i : i + size]
        await asyncio.sleep(0)


@dataclass
class FakeProviders:
    base_url: str
    faults: Faults

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")


@contextmanager
def fake_providers(faults: Faults | None = None) -> Iterator[FakeProviders]:
    faults = faults or Faults()
    port = free_port()
    with serve_in_thread(build_app(faults), port) as base:
        yield FakeProviders(base, faults)
