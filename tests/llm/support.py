"""Shared pieces of the LLM agent tests: clock constants, the scripted fake "model", DB reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.config import Settings
from hvac_agent.dialogue.llm_agent import LlmBudgets
from tests.e2e.conftest import make_settings
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse

CHICAGO = ZoneInfo("America/Chicago")
# Tuesday 1 December 2026, 06:30 in Austin: the first windows are today 08:00 and 12:00.
NOW = dt.datetime(2026, 12, 1, 6, 30, tzinfo=CHICAGO)
CALLER_ID = "+15125550123"
MAIN, FAST = "big-model", "small-model"

Step = FakeResponse | Callable[[dict[str, Any]], FakeResponse]


class Brain:
    """The fake model's script: one entry per chat request, in order. Intent-classification
    requests (no tools offered) are answered from `intent_answer` without consuming the script."""

    def __init__(self, steps: list[Step] | None = None, intent_answer: str = "book") -> None:
        self.steps: list[Step] = list(steps or [])
        self.intent_answer = intent_answer
        self.tool_requests: list[dict[str, Any]] = []

    def add(self, *steps: Step) -> None:
        self.steps.extend(steps)

    def __call__(self, body: dict[str, Any]) -> FakeResponse:
        if not body.get("tools"):
            return FakeResponse(text=self.intent_answer)
        self.tool_requests.append(body)
        if not self.steps:
            return FakeResponse(status=500, error_message="script exhausted")
        step = self.steps.pop(0)
        return step(body) if callable(step) else step


def recorded(then: FakeResponse) -> tuple[list[dict[str, Any]], Step]:
    """A model step that keeps the tool results it is sent (in the list) and answers `then`."""
    results: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> FakeResponse:
        results.append(last_tool_result(body))
        return then

    return results, record


def last_tool_result(body: dict[str, Any]) -> dict[str, Any]:
    message = body["messages"][-1]
    assert message["role"] == "tool", message
    result: dict[str, Any] = json.loads(message["content"])
    return result


async def stored_appointments(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(text("select * from appointments"))).mappings().all()
    return [dict(r) for r in rows]


def llm_settings(tmp_path: Path, model: FakeOpenAI) -> Callable[[int], Settings]:
    """The e2e server's settings (for `app_server`) with the LLM agent on the fake `model`."""

    def settings(port: int) -> Settings:
        return make_settings(
            tmp_path, port, llm_base_url=model.base_url, llm_model=MAIN, llm_fast_model=FAST, llm_api_key="test-key"
        )

    return settings


FAST_BUDGETS = LlmBudgets(full_s=2.5, fast_s=1.5, intent_s=1.5)  # generous: a shared CPU may stall
