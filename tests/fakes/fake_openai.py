"""A real local HTTP server speaking the OpenAI chat-completions API, scriptable per test.

It serves `POST /v1/chat/completions` (JSON or SSE streaming, with text and tool-call deltas) on
loopback so our client is exercised through real sockets, real HTTP framing and real timeouts.
Each request is answered by the test's script: a list of `FakeResponse`s consumed in order, or a
function of the request body. Faults: HTTP errors, delays before headers or between chunks, a
stall mid-stream, a dropped connection, malformed tool arguments and invented tool names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeToolCall:
    name: str
    arguments: str | dict[str, Any] = field(default_factory=dict)  # a str is sent verbatim
    id: str | None = None

    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class FakeResponse:
    text: str = ""
    tool_calls: list[FakeToolCall] = field(default_factory=list)
    status: int = 200
    error_message: str = "fake failure"
    delay_s: float = 0.0  # before the response headers
    chunk_delay_s: float = 0.0  # between stream chunks
    stall_after_chunks: int | None = None  # stop sending (but keep the socket) after N chunks
    drop_after_chunks: int | None = None  # close the socket after N chunks
    chunk_chars: int = 12  # text is streamed in pieces of this size
    arg_chunk_chars: int = 7  # tool arguments too


Handler = Callable[[dict[str, Any]], FakeResponse]


class FakeOpenAI:
    """`async with FakeOpenAI() as llm:` → `llm.base_url` for the client; `llm.requests` seen."""

    def __init__(self, script: list[FakeResponse] | Handler | None = None) -> None:
        self._queue: list[FakeResponse] = []
        self._handler: Handler | None = None
        self.requests: list[dict[str, Any]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0
        if script is not None:
            self.script(script)

    # ---- scripting -------------------------------------------------------------------------

    def script(self, script: list[FakeResponse] | Handler) -> None:
        if callable(script):
            self._handler, self._queue = script, []
        else:
            self._handler, self._queue = None, list(script)

    def push(self, *responses: FakeResponse) -> None:
        self._queue.extend(responses)

    def _next(self, body: dict[str, Any]) -> FakeResponse:
        if self._queue:
            return self._queue.pop(0)
        if self._handler is not None:
            return self._handler(body)
        return FakeResponse(status=500, error_message="fake server: script exhausted")

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- HTTP ------------------------------------------------------------------------------

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, path, body = request
                keep_alive = await self._dispatch(method, path, body, writer)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): a leaf task, ending quietly keeps asyncio from logging it as an error
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _dispatch(self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            await _send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})
            return True
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            await _send_json(writer, 400, {"error": {"message": "invalid JSON"}})
            return True
        self.requests.append(body)
        response = self._next(body)
        if response.delay_s:
            await asyncio.sleep(response.delay_s)
        if response.status != 200:
            await _send_json(
                writer,
                response.status,
                {"error": {"message": response.error_message, "type": "server_error", "code": None}},
            )
            return True
        model = str(body.get("model", "fake-model"))
        if body.get("stream"):
            return await _send_stream(writer, response, model)
        await _send_json(writer, 200, _completion(response, model))
        return True


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return method, path, body


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


async def _send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    reason = _REASONS.get(status, "Error")
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n".encode()
        + data
    )
    await writer.drain()


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


def _chunks(response: FakeResponse, model: str) -> list[dict[str, Any]]:
    ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": piece}) for piece in _pieces(response.text, response.chunk_chars)]
    for index, call in enumerate(response.tool_calls):
        call_id = call.id or f"call_{uuid.uuid4().hex[:10]}"
        head = {"index": index, "id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        out.append(chunk({"tool_calls": [head]}))
        for piece in _pieces(call.arguments_text(), response.arg_chunk_chars):
            out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    out.append(chunk({}, "tool_calls" if response.tool_calls else "stop"))
    return out


async def _send_stream(writer: asyncio.StreamWriter, response: FakeResponse, model: str) -> bool:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    await writer.drain()

    async def send(data: bytes) -> None:
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()

    for sent, item in enumerate(_chunks(response, model)):
        if response.drop_after_chunks is not None and sent >= response.drop_after_chunks:
            return False  # the caller closes the socket mid-stream
        if response.stall_after_chunks is not None and sent >= response.stall_after_chunks:
            await asyncio.sleep(3600)  # cancelled when the client goes away or the server stops
        if response.chunk_delay_s and sent:
            await asyncio.sleep(response.chunk_delay_s)
        await send(b"data: " + json.dumps(item).encode() + b"\n\n")
    await send(b"data: [DONE]\n\n")
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True


def _completion(response: FakeResponse, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response.text or None}
    if response.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id or f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_text()},
            }
            for call in response.tool_calls
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if response.tool_calls else "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextlib.contextmanager
def serve_in_thread(script: list[FakeResponse] | Handler) -> Iterator[FakeOpenAI]:
    """The fake on its own event loop in a background thread, for servers under test that run
    in another thread (uvicorn) or process."""
    fake = FakeOpenAI(script)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fake-openai", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("fake OpenAI server did not start")
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
