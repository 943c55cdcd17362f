"""Async OpenAI-compatible chat client with a circuit breaker per endpoint and a hard deadline.

The transport timeouts (connect 3 s, read 12 s, write 5 s, pool 5 s, 15 s in all) only bound a
hung socket; what a caller on the phone can bear is the per-turn budget the agent passes as an
absolute `deadline` (on the client's clock, `self.clock`). Every await on the network is bounded by it, so a slow
model costs at most the budget before the turn falls to the next rung.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import AsyncOpenAI

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.llm.assembly import ToolCall, ToolCallAssembler
from hvac_agent.llm.errors import LlmError
from hvac_agent.resilience.breaker import BreakerRegistry, CircuitBreaker
from hvac_agent.resilience.rate_limit import TokenBucket

try:  # the OpenAI SDK moved from httpx to its successor httpx2 (openai 3.x): use whichever it uses
    import httpx2 as http
except ImportError:  # pragma: no cover - openai 1.x/2.x
    import httpx as http  # type: ignore[no-redef]

TOTAL_TIMEOUT_S = 15.0
HTTP_TIMEOUT = http.Timeout(TOTAL_TIMEOUT_S, connect=3.0, read=12.0, write=5.0, pool=5.0)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Completed:
    text: str
    tool_calls: list[ToolCall]
    finish_reason: str | None


StreamItem = TextDelta | Completed


class LlmClient:
    """One per process and endpoint; `stream()` is safe to call from many calls at once."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        breakers: BreakerRegistry | None = None,
        http_client: http.AsyncClient | None = None,
        max_tokens: int = 300,
        rate_limit: TokenBucket | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        # Deadlines bound waits on a real network, so they run on real time (never a test's
        # manual business clock); callers compute theirs on this same clock (`self.clock`).
        self.clock = clock
        self._http = http_client or http.AsyncClient(
            timeout=HTTP_TIMEOUT, limits=http.Limits(max_connections=100, max_keepalive_connections=20)
        )
        self._sdk = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",  # local OpenAI-compatible servers often want none
            timeout=HTTP_TIMEOUT,
            max_retries=0,  # the ladder, not the SDK, decides what happens after a failure
            http_client=self._http,
        )
        self._host = urlsplit(base_url).netloc if base_url else "api.openai.com"
        self.breakers = breakers or BreakerRegistry()
        self._max_tokens = max_tokens
        self._rate_limit = rate_limit  # a per-process cap on requests: beyond it, the next rung answers

    def breaker_for(self, model: str) -> CircuitBreaker:
        return self.breakers.get(f"llm:{model}@{self._host}")

    async def aclose(self) -> None:
        await self._sdk.close()
        await self._http.aclose()

    async def stream(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[StreamItem]:
        """Text deltas as they arrive, then one `Completed` with the assembled tool calls.

        Raises `LlmError` (never an SDK exception). A breaker verdict is recorded per request:
        timeouts, 5xx, 429 and connection errors count as failures; 4xx other than 429 do not
        (the endpoint is up, our request was wrong).
        """
        clock = self.clock
        hard_deadline = clock.monotonic() + TOTAL_TIMEOUT_S
        deadline = min(deadline, hard_deadline) if deadline is not None else hard_deadline

        def remaining() -> float:
            left = deadline - clock.monotonic()
            if left <= 0:
                raise TimeoutError
            return left

        breaker = self.breaker_for(model)
        if self._rate_limit is not None and not self._rate_limit.try_acquire():
            raise LlmError("rate_limited", f"{model}: over the request rate")
        if not breaker.allow():
            raise LlmError("circuit_open", breaker.name)
        verdict = False
        sdk_stream: Any = None
        try:
            # Our messages and tool schemas are plain JSON already. Passed as declared parameters,
            # the SDK walks them recursively to "transform" them: measured ~5 ms per request here,
            # most of our overhead per turn. `extra_body` sends the same JSON body untouched.
            body: dict[str, Any] = {"messages": list(messages), "max_tokens": self._max_tokens}
            if tools:
                body["tools"] = list(tools)
            create = self._sdk.chat.completions.create(model=model, messages=[], stream=True, extra_body=body)
            sdk_stream = await asyncio.wait_for(create, remaining())
            chunks = sdk_stream.__aiter__()
            texts: list[str] = []
            assembler = ToolCallAssembler()
            finish: str | None = None
            while True:
                try:
                    chunk = await asyncio.wait_for(chunks.__anext__(), remaining())
                except StopAsyncIteration:
                    break
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        texts.append(delta.content)
                        yield TextDelta(delta.content)
                    for call in (delta.tool_calls if delta is not None else None) or []:
                        function = call.function
                        assembler.add(
                            call.index,
                            id=call.id,
                            name=function.name if function else None,
                            arguments=function.arguments if function else None,
                        )
                    if choice.finish_reason:
                        finish = choice.finish_reason
            verdict = True
            breaker.record_success()
            yield Completed(text="".join(texts), tool_calls=assembler.finish(), finish_reason=finish)
        except TimeoutError as error:
            verdict = True
            breaker.record_failure()
            raise LlmError("timeout", f"{model}: no answer within the turn budget") from error
        except openai.APIStatusError as error:
            verdict = True
            if error.status_code >= 500 or error.status_code == 429:
                breaker.record_failure()
            else:
                breaker.record_success()
            raise LlmError("status", f"{model}: HTTP {error.status_code}", status=error.status_code) from error
        except (openai.APIConnectionError, http.HTTPError) as error:
            verdict = True
            breaker.record_failure()
            raise LlmError("connection", f"{model}: {type(error).__name__}") from error
        except openai.OpenAIError as error:
            verdict = True
            breaker.record_failure()
            raise LlmError("protocol", f"{model}: {type(error).__name__}") from error
        finally:
            if not verdict:
                breaker.release()  # the consumer stopped early or was cancelled
            if sdk_stream is not None:
                with contextlib.suppress(Exception):
                    await sdk_stream.close()

    async def complete(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        deadline: float | None = None,
    ) -> Completed:
        """The whole answer at once (gather mode, classification)."""
        async for item in self.stream(model=model, messages=messages, tools=tools, deadline=deadline):
            if isinstance(item, Completed):
                return item
        raise LlmError("protocol", f"{model}: stream ended without completion")
