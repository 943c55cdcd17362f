"""Callers' words do not outlive a "forget me" in the server's memory: through the real app on
uvicorn, a call's turns fill the understanding caches (normaliser, phone, address and date parsers,
the sentence encoder, the log redactor, the last saved session), and they are empty after the
forget request on the API, after the caller's own confirmed request in a call, and — for workers
that never hear of either — after `FORGET_PERIOD_S` of the app's clock, not before."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from hvac_agent.caller_caches import FORGET_PERIOD_S
from hvac_agent.clock import FixedClock
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.nlu import semantic
from hvac_agent.dialogue.nlu.address import usaddress_street
from hvac_agent.dialogue.nlu.dates import parse_with_dateparser
from hvac_agent.dialogue.nlu.phone import to_e164
from hvac_agent.dialogue.nlu.text import normalise
from hvac_agent.observability.logging import _personal_words
from tests.e2e.conftest import Server
from tests.support.twilio_sim import TwilioCall

pytestmark = pytest.mark.usefixtures("minilm_weights")

# One opening with every slot (contract rule 1): a name, a number other than the caller ID, a street.
OPENING = "hi I'm Dana Kim at 512 555 0199, my furnace is out at 4410 Duval Street 78751"
SAID_NUMBER = "5125550199"
LRU_CACHES: dict[str, Any] = {
    "normalise": normalise,
    "to_e164": to_e164,
    "usaddress_street": usaddress_street,
    "parse_with_dateparser": parse_with_dateparser,
    "personal_words": _personal_words,
}


def encoder() -> semantic.SemanticModel:
    """The process's sentence encoder, once its background load (started by the app) is in."""
    deadline = time.monotonic() + 60
    while (model := semantic.active()) is None:
        assert time.monotonic() < deadline, semantic.status()
        time.sleep(0.05)
    return model


def held(server: Server) -> dict[str, int]:
    """How many entries each cache of caller text holds now."""
    sizes = {name: fn.cache_info().currsize for name, fn in LRU_CACHES.items()}
    sizes["encoder"] = len(encoder()._cache)
    sizes["decoded_sessions"] = len(server.services.calls._decoded)
    return sizes


def hit(cached: Any, *args: Any) -> bool:
    """Whether `cached(*args)` is answered from its lru_cache (it is cached afterwards either way)."""
    before = cached.cache_info().hits
    cached(*args)
    return bool(cached.cache_info().hits > before)


def encoder_keys() -> list[str]:
    return list(encoder()._cache)


def fill(server: Server) -> TwilioCall:
    """A call's first turns, left in progress; asserts the caches now hold this caller's words."""
    encoder()  # loaded before the call, so the call's sentences go through it
    call = server.call()
    heard = call.start()
    assert "virtual assistant" in heard.text.lower(), heard.text
    call.say(OPENING)
    assert hit(to_e164, SAID_NUMBER), "the number the caller said is cached"
    assert any("duval" in key.lower() for key in encoder_keys()), encoder_keys()
    assert hit(_personal_words, "Dana Kim"), "the name is cached by the log redactor"
    assert call.call_sid in server.services.calls._decoded
    sizes = held(server)
    assert sizes["normalise"] > 0 and sizes["decoded_sessions"] > 0, sizes
    return call


def assert_empty(server: Server) -> None:
    sizes = held(server)
    assert all(size == 0 for size in sizes.values()), sizes


def test_the_forget_endpoint_empties_every_cache_of_caller_words(server: Server) -> None:
    fill(server)
    gone = httpx.delete(f"{server.base_url}/api/callers/(512) 555-0199", timeout=10)
    assert gone.status_code == 200, gone.text
    assert_empty(server)
    assert not any("duval" in key.lower() for key in encoder_keys())


def test_a_bad_number_on_the_forget_endpoint_empties_nothing(server: Server) -> None:
    fill(server)
    assert httpx.delete(f"{server.base_url}/api/callers/not-a-number", timeout=10).status_code == 422
    assert hit(to_e164, SAID_NUMBER)


def test_every_worker_empties_its_caches_once_the_period_has_passed(server: Server) -> None:
    """A second worker never hears the forget request: each empties its own caches on a period of
    the app's clock (virtual time here), and keeps them until then."""
    clock = server.clock
    assert isinstance(clock, FixedClock) and clock.monotonic() == 0.0  # the period counts from the app's start
    fill(server)
    clock.advance(FORGET_PERIOD_S - 1)
    assert server.get("/health").status_code == 200  # the event loop has run whatever was due
    assert hit(to_e164, SAID_NUMBER) and held(server)["encoder"] > 0
    clock.advance(1)
    deadline = time.monotonic() + 10
    while any(held(server).values()):
        assert time.monotonic() < deadline, held(server)
        time.sleep(0.01)
    # ...and again one period later, not only once.
    fill(server)
    clock.advance(FORGET_PERIOD_S - 1)
    assert server.get("/health").status_code == 200
    assert hit(to_e164, SAID_NUMBER)
    clock.advance(1)
    deadline = time.monotonic() + 10
    while held(server)["to_e164"]:
        assert time.monotonic() < deadline, held(server)
        time.sleep(0.01)


def test_a_caller_forgotten_in_the_call_leaves_none_of_their_words_cached(server: Server) -> None:
    call = fill(server)
    asked = call.say("please delete my information")
    assert scripts.FORGET_QUESTION in asked.text, asked.text
    done = call.say("yes")  # CallerForgotten, in this call
    assert scripts.FORGOTTEN_DONE in done.text, done.text
    # What the caller said before is gone from the caches. (The call's own session, which the
    # session store holds until the call ends, is saved again after the turn: not a cache.)
    assert not hit(normalise, OPENING) and not hit(to_e164, SAID_NUMBER)
    assert not any("duval" in key.lower() for key in encoder_keys()), encoder_keys()
    assert not hit(_personal_words, "Dana Kim")
