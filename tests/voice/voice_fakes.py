"""Test doubles for the voice pipeline: a scripted dialogue (Responder) and a Twilio-like wire."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from hvac_agent.dialogue.state import Event, Reply
from hvac_agent.voice.codec import FRAME_SAMPLES, b64decode, frames, silence
from hvac_agent.voice.pipeline import CallPipeline
from hvac_agent.voice.tts.base import split_sentences


class ScriptedResponder:
    """The dialogue core as a script: a greeting, then replies in order (the last one repeats)."""

    def __init__(
        self,
        greeting: Reply,
        replies: list[Reply] | None = None,
        *,
        delay_s: float = 0.0,
        fail: bool = False,
        stream_gap_s: float | None = None,
    ) -> None:
        self.greeting = greeting
        self.stream_gap_s = stream_gap_s  # set: hand sentences over one by one, like a streaming LLM
        self.replies = list(replies or [Reply(say="Okay, what else?", expect="intent")])
        self.delay_s = delay_s
        self.fail = fail
        self.events: list[Event] = []
        self.recorded: list[str] = []  # agent turns as the call record would hold them
        self.amended: list[int] = []
        self.handed_over: list[str] = []
        self.ended: list[str] = []
        self.started: list[tuple[str, str | None]] = []

    async def start(self, call_sid: str, caller_id: str | None) -> Reply:
        self.started.append((call_sid, caller_id))
        return self.greeting

    async def handle(
        self, call_sid: str, event: Event, on_sentence: Callable[[str], Awaitable[None]] | None = None
    ) -> Reply:
        self.events.append(event)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RuntimeError("dialogue exploded")
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if self.stream_gap_s is not None and on_sentence is not None:
            for sentence in split_sentences(reply.say):
                await on_sentence(sentence)
                self.handed_over.append(sentence)
                await asyncio.sleep(self.stream_gap_s)
        return reply

    async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
        self.recorded.append(text)
        return len(self.recorded) - 1

    async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None:
        self.recorded[seq] = heard
        self.amended.append(seq)

    async def end(self, call_sid: str) -> None:
        self.ended.append(call_sid)


class Wire:
    """What Twilio would receive; echoes marks back (as played) unless told not to."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.pipeline: CallPipeline | None = None
        self.echo_marks = True
        self.on_message: Callable[[dict[str, Any]], None] | None = None

    async def send(self, text: str) -> None:
        msg = json.loads(text)
        self.sent.append(msg)
        if self.on_message is not None:
            self.on_message(msg)
        if msg["event"] == "mark" and self.echo_marks and self.pipeline is not None:
            asyncio.get_running_loop().call_soon(self.pipeline.on_mark, msg["mark"]["name"])

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["event"] == kind]

    def audio_bytes(self) -> int:
        return sum(len(b64decode(m["media"]["payload"]) or b"") for m in self.events("media"))


async def feed(pipeline: CallPipeline, ulaw: bytes, *, trailing_ms: int = 0) -> None:
    for i, frame in enumerate(frames(ulaw + silence(trailing_ms), FRAME_SAMPLES)):
        pipeline.on_media(frame)
        if i % 5 == 4:
            await asyncio.sleep(0)


async def until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
