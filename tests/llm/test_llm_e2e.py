"""The foundation's end-to-end call scenarios, run again with the LLM agent answering: the real app
on uvicorn, signed Twilio webhooks, and an OpenAI-compatible fake model over real HTTP."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hvac_agent.clock import FixedClock
from tests.e2e import test_caller_verification as verification_calls
from tests.e2e import test_gather_call as gather_calls
from tests.e2e import test_ops as ops
from tests.e2e import test_understanding_calls as understanding_calls
from tests.e2e.conftest import NOW, Server
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse, serve_in_thread
from tests.llm.brain import nlu_brain
from tests.llm.support import llm_settings
from tests.support.server import app_server


def _scenarios(*modules: ModuleType) -> list[Any]:
    """Every `test_*(server, ...)` of the foundation's modules, with its own parametrize cases."""
    cases: list[Any] = []
    for module in modules:
        for name in sorted(dir(module)):
            func = getattr(module, name)
            if not name.startswith("test_") or next(iter(inspect.signature(func).parameters)) != "server":
                continue
            marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
            if not marks:
                cases.append(pytest.param(func, {}, id=name.removeprefix("test_")))
                continue
            argnames, argvalues = marks[0].args[0], marks[0].args[1]
            keys = [k.strip() for k in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
            for i, values in enumerate(argvalues):
                values = values if len(keys) > 1 else (values,)
                cases.append(
                    pytest.param(func, dict(zip(keys, values, strict=True)), id=f"{name.removeprefix('test_')}-{i}")
                )
    return cases


SCENARIOS = _scenarios(gather_calls, understanding_calls, ops, verification_calls)


BRAIN_ERRORS: list[BaseException] = []


def checked_brain(body: dict[str, Any]) -> FakeResponse:
    """A brain bug must fail the test, not quietly send the call down to the rules rung."""
    try:
        return nlu_brain(body)
    except BaseException as error:
        BRAIN_ERRORS.append(error)
        raise


@pytest.fixture(scope="module")
def fake_model() -> Iterator[FakeOpenAI]:
    with serve_in_thread(checked_brain) as fake:
        yield fake


@pytest.fixture
def llm_server(tmp_path: Path, fake_model: FakeOpenAI) -> Iterator[Server]:
    with app_server(llm_settings(tmp_path, fake_model), clock=FixedClock(NOW)) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "kwargs"), SCENARIOS)
def test_foundation_scenario_with_the_llm_agent(
    scenario: Callable[..., None], kwargs: dict[str, Any], llm_server: Server, fake_model: FakeOpenAI
) -> None:
    BRAIN_ERRORS.clear()
    before = len(fake_model.requests)
    scenario(llm_server, **kwargs)
    assert BRAIN_ERRORS == []
    health = llm_server.api("/health").json()
    assert health["metrics"]["agent"] == "degrading"
    circuits = health["circuits"]
    assert circuits, health  # the LLM endpoint's breaker is visible in /health
    # No model request failed or timed out: every model turn was really answered by the model.
    assert all(c["state"] == "closed" and c["total_failures"] == 0 for c in circuits.values()), circuits
    if scenario.__name__ not in NO_MODEL_TURNS:
        assert len(fake_model.requests) > before


# Scenarios whose every caller turn is owned by code (safety, transfer, silence, signatures).
NO_MODEL_TURNS = {
    "test_gas_smell_gets_the_safety_script_and_the_on_call_line_never_a_booking",
    "test_three_silences_end_the_call_politely",
    "test_odd_or_missing_fields_get_polite_twiml_not_a_5xx",
    "test_a_signature_over_the_url_without_its_port_is_accepted_another_port_is_not",
}
