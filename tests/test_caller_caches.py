"""The registry of caches of caller text, and the periodic clear, in virtual time."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gc
import threading
import weakref
from collections import OrderedDict

import pytest

from hvac_agent.caller_caches import (
    FORGET_PERIOD_S,
    PeriodicForget,
    caller_text_cache,
    forget_cached_texts,
    register,
)
from hvac_agent.clock import FixedClock

NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


class Owner:
    def __init__(self) -> None:
        self.items: OrderedDict[str, int] = OrderedDict(dana=1)
        register(self.clear)

    def clear(self) -> None:
        self.items.clear()


def test_registered_caches_are_emptied_and_a_decorated_function_is_unchanged() -> None:
    @caller_text_cache
    @functools.lru_cache(maxsize=8)
    def shout(text: str) -> str:
        return text.upper()

    owner = Owner()
    assert shout("dana kim") == "DANA KIM" and shout.cache_info().currsize == 1
    held = OrderedDict(kim=2)
    register(held.clear)  # a weak-referenceable container's own clear
    assert forget_cached_texts() >= 3
    assert shout.cache_info().currsize == 0 and not owner.items and not held


def test_registering_keeps_no_owner_alive() -> None:
    owner = Owner()
    gone = weakref.ref(owner)
    del owner
    gc.collect()
    assert gone() is None
    forget_cached_texts()  # a dead owner is skipped (and dropped)


def test_a_container_without_weak_references_is_refused() -> None:
    with pytest.raises(TypeError):
        register({}.clear)  # a plain dict: register a method of its owner instead


async def test_the_period_clears_after_it_has_passed_not_before_and_again() -> None:
    clock = FixedClock(NOW)
    owner = Owner()
    forgetting = PeriodicForget(clock)
    forgetting.start()
    clock.advance(FORGET_PERIOD_S - 1)
    await asyncio.sleep(0)
    assert forgetting.runs == 0 and owner.items
    clock.advance(1)
    await asyncio.sleep(0)
    assert forgetting.runs == 1 and not owner.items
    owner.items["again"] = 1
    clock.advance(FORGET_PERIOD_S)
    await asyncio.sleep(0)
    assert forgetting.runs == 2 and not owner.items
    forgetting.cancel()
    owner.items["after"] = 1
    clock.advance(10 * FORGET_PERIOD_S)
    await asyncio.sleep(0)
    assert forgetting.runs == 2 and owner.items  # nothing runs after shutdown


async def test_a_timer_fired_from_another_thread_clears_on_the_event_loop() -> None:
    """A manual clock fires timers in the thread that advances it (a test's, beside the server's
    loop): the clearing itself still runs on the loop the clear was started on."""
    clock = FixedClock(NOW)
    ran_on: list[threading.Thread] = []

    class Watched(Owner):
        def clear(self) -> None:
            ran_on.append(threading.current_thread())
            super().clear()

    owner = Watched()
    forgetting = PeriodicForget(clock)
    forgetting.start()
    advancing = threading.Thread(target=clock.advance, args=(FORGET_PERIOD_S,))
    advancing.start()
    advancing.join()
    assert forgetting.runs == 0 and owner.items  # handed over, not run in the other thread
    for _ in range(10):
        await asyncio.sleep(0)
        if forgetting.runs:
            break
    assert forgetting.runs == 1 and not owner.items
    assert ran_on == [threading.main_thread()]
    forgetting.cancel()
