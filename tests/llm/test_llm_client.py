"""The OpenAI-compatible client against the fake server, through real HTTP and SSE."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.llm.client import Completed, LlmClient, TextDelta
from hvac_agent.llm.errors import LlmError
from hvac_agent.resilience.breaker import BreakerRegistry
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse, FakeToolCall

MESSAGES = [{"role": "user", "content": "hello"}]


def deadline(seconds: float) -> float:
    return asyncio.get_running_loop().time() + seconds


async def test_streams_text_and_assembles_tool_calls_by_index() -> None:
    args_a = {"name": "Dana Kim", "zip": "78751"}
    response = FakeResponse(
        text="Thanks. One moment.",
        tool_calls=[FakeToolCall("update_caller_details", args_a), FakeToolCall("check_availability", "{}")],
        chunk_chars=4,
        arg_chunk_chars=3,
    )
    async with FakeOpenAI([response]) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        items = [i async for i in client.stream(model="m", messages=MESSAGES, tools=[{"type": "function"}])]
        await client.aclose()
    deltas = [i.text for i in items if isinstance(i, TextDelta)]
    assert len(deltas) > 3 and "".join(deltas) == "Thanks. One moment."
    done = items[-1]
    assert isinstance(done, Completed) and done.finish_reason == "tool_calls"
    assert [c.name for c in done.tool_calls] == ["update_caller_details", "check_availability"]
    assert done.tool_calls[0].arguments == '{"name": "Dana Kim", "zip": "78751"}'
    assert done.tool_calls[0].id != done.tool_calls[1].id
    body = fake.requests[0]
    assert body["stream"] is True and body["model"] == "m" and body["tools"] == [{"type": "function"}]


async def test_server_errors_open_the_breaker_and_then_no_request_is_sent() -> None:
    clock = FixedClock(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    registry = BreakerRegistry(clock=clock, failure_threshold=5, recovery_s=60)
    async with FakeOpenAI([FakeResponse(status=500) for _ in range(5)] + [FakeResponse(text="back")]) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k", breakers=registry)
        for _ in range(5):
            with pytest.raises(LlmError) as failure:
                await client.complete(model="m", messages=MESSAGES)
            assert failure.value.kind == "status" and failure.value.status == 500
        assert len(fake.requests) == 5  # the SDK's own retries are off: the ladder decides
        with pytest.raises(LlmError) as refused:
            await client.complete(model="m", messages=MESSAGES)
        assert refused.value.kind == "circuit_open" and len(fake.requests) == 5
        snapshot = registry.snapshot()
        (name,) = snapshot
        assert name.startswith("llm:m@127.0.0.1:") and snapshot[name]["state"] == "open"
        clock.advance(60)
        assert (await client.complete(model="m", messages=MESSAGES)).text == "back"
        assert registry.snapshot()[name]["state"] == "closed"
        await client.aclose()


async def test_a_client_error_does_not_count_against_the_endpoint() -> None:
    async with FakeOpenAI([FakeResponse(status=400) for _ in range(6)]) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        for _ in range(6):
            with pytest.raises(LlmError):
                await client.complete(model="m", messages=MESSAGES)
        assert client.breaker_for("m").state == "closed"
        await client.aclose()


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(text="late", delay_s=5),  # no headers in time
        FakeResponse(text="Hello there. And then nothing", stall_after_chunks=2),  # stalls mid-stream
    ],
    ids=["slow-headers", "stall"],
)
async def test_turn_deadline_bounds_slow_answers(response: FakeResponse) -> None:
    async with FakeOpenAI([response]) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        started = time.perf_counter()
        with pytest.raises(LlmError) as failure:
            async for _ in client.stream(model="m", messages=MESSAGES, deadline=deadline(0.25)):
                pass
        elapsed = time.perf_counter() - started
        assert failure.value.kind == "timeout"
        assert 0.2 < elapsed < 1.0
        assert client.breaker_for("m").snapshot().consecutive_failures == 1
        await client.aclose()


async def test_dropped_connection_is_a_connection_failure() -> None:
    async with FakeOpenAI([FakeResponse(text="Hello there, how can I help?", drop_after_chunks=2)]) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        with pytest.raises(LlmError) as failure:
            await client.complete(model="m", messages=MESSAGES)
        assert failure.value.kind in ("connection", "protocol")
        assert client.breaker_for("m").snapshot().total_failures == 1
        await client.aclose()


async def test_unreachable_endpoint_fails_fast() -> None:
    client = LlmClient(base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(LlmError) as failure:
        await client.complete(model="m", messages=MESSAGES, deadline=deadline(2))
    assert failure.value.kind == "connection"
    await client.aclose()


async def test_rate_limit_refuses_without_a_request_and_without_blaming_the_endpoint() -> None:
    from hvac_agent.resilience.rate_limit import TokenBucket

    clock = FixedClock(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    async with FakeOpenAI(lambda body: FakeResponse(text="ok")) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k", rate_limit=TokenBucket(1, 2, clock=clock))
        for _ in range(2):
            assert (await client.complete(model="m", messages=MESSAGES)).text == "ok"
        with pytest.raises(LlmError) as limited:
            await client.complete(model="m", messages=MESSAGES)
        assert limited.value.kind == "rate_limited" and len(fake.requests) == 2
        assert client.breaker_for("m").snapshot().consecutive_failures == 0
        clock.advance(1)
        assert (await client.complete(model="m", messages=MESSAGES)).text == "ok"
        await client.aclose()
