"""Every in-process cache that holds what callers said, and one call that empties them all.

"Forget me" erases a caller's rows in the database (`followups/forget.py`), but understanding keeps
recent caller texts in memory to save work: the normaliser's, phone, address and date parsers'
`lru_cache`s, the sentence encoder's vectors, the log redactor's personal words, the last session
each call saved. Each such cache registers its clear function here once (at import or
construction: nothing is added to the hot path), and `forget_cached_texts()` empties them all:

- in the process that handles a forget request (the API endpoint, or `CallerForgotten` in a call);
- every `FORGET_PERIOD_S` in every worker (`PeriodicForget`, run by the app's lifespan): a second
  worker never hears about a forget request, so no caller text outlives that period in any of them.

Emptying costs only recomputation: every registered cache must be one whose loss changes no
answer. This module imports nothing of the project's, so any layer may register.
"""

from __future__ import annotations

import asyncio
import threading
import types
import weakref
from collections.abc import Callable
from typing import Protocol, TypeVar

from hvac_agent.clock import Clock, TimerHandle

FORGET_PERIOD_S = 15 * 60  # the longest a caller's words stay in any worker's caches

Clear = Callable[[], object]

_lock = threading.Lock()  # the encoder registers from its loading thread
_clears: list[Callable[[], Clear | None]] = []


def register(clear: Clear) -> Clear:
    """Have `forget_cached_texts()` call `clear`; returns it.

    A bound method (an instance's cache, an `lru_cache`'s `cache_clear`) is held through a weak
    reference to its object, so registering keeps nothing alive; that object must accept weak
    references (a plain dict does not: register a method of its owner instead). A plain function
    is held for the life of the process."""
    owner = getattr(clear, "__self__", None)
    if owner is None or isinstance(owner, types.ModuleType):
        ref: Callable[[], Clear | None] = lambda: clear  # noqa: E731
    else:
        held = weakref.ref(owner)  # TypeError for an object without weak references: loud, at import
        name = clear.__name__

        def ref() -> Clear | None:
            alive = held()
            return None if alive is None else getattr(alive, name)

    with _lock:
        _clears.append(ref)
    return clear


class _Cached(Protocol):
    def cache_clear(self) -> None: ...


C = TypeVar("C", bound=_Cached)


def caller_text_cache(cached: C) -> C:
    """Decorator over `functools.lru_cache` for a function called with caller text: registers its
    `cache_clear` once, at import. The cached function itself is returned unchanged (no cost per call)."""
    register(cached.cache_clear)
    return cached


def forget_cached_texts() -> int:
    """Empty every registered cache of caller text; returns how many were emptied.

    Cheap (a dict clear each) and safe from the event loop while the encoder loads in its thread.
    A cache whose owner is gone is dropped from the registry."""
    with _lock:
        live = [(ref, ref()) for ref in _clears]
        _clears[:] = [ref for ref, clear in live if clear is not None]
    cleared = 0
    for _, clear in live:
        if clear is not None:
            clear()
            cleared += 1
    return cleared


class PeriodicForget:
    """Runs `forget_cached_texts()` every `period_s` of `clock` on the event loop it was started on.

    The timer is the clock's (`call_at`), so tests move it in virtual time; the clearing itself is
    handed to the loop, since a manual clock fires timers in whichever thread advances it."""

    def __init__(self, clock: Clock, period_s: float = FORGET_PERIOD_S) -> None:
        self.clock = clock
        self.period_s = period_s
        self.runs = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: TimerHandle | None = None

    def start(self) -> None:
        """Arm the first timer (call on the running event loop, e.g. in the app's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self._arm()

    def cancel(self) -> None:
        """Stop for good (at shutdown): no clearing is run or armed after this."""
        self._loop = None
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _arm(self) -> None:
        self._timer = self.clock.call_at(self.clock.monotonic() + self.period_s, self._due)

    def _due(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._run)
        except RuntimeError:  # the loop closed between the check and the call: shutting down
            return

    def _run(self) -> None:
        if self._loop is None:  # cancelled while the run was on its way to the loop
            return
        forget_cached_texts()
        self.runs += 1
        self._arm()
