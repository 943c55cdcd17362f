"""Which calls are in progress and which have ended, kept in the shared session store.

Every worker process and instance reads the same store, so the active-calls figure is the same
whichever worker answers `/metrics`, and a call started on one worker and ended on another is
counted once. An ended call leaves a small marker behind (not a session) for as long as a session
could have lived: a late or replayed webhook for it is recognised and changes nothing.

The active set is one JSON object `{call_sid: expires_at}` written with compare-and-set; entries
expire on their own, so a worker that dies mid-call never leaves a call counted forever. Writes
happen only when a call starts or ends, never on a turn.
"""

from __future__ import annotations

import asyncio
import json

from hvac_agent.clock import Clock
from hvac_agent.observability.logging import get_logger
from hvac_agent.sessions.store import SessionStore, SessionStoreUnavailable

log = get_logger("hvac_agent.sessions.calls")

ACTIVE_KEY = "calls:active"
ENDED_PREFIX = "calls:ended:"
CAS_ATTEMPTS = 16


class CallRegistry:
    """Active calls and ended-call markers in the shared store."""

    def __init__(self, store: SessionStore, clock: Clock, *, ttl_s: int) -> None:
        self.store = store
        self.clock = clock
        self.ttl_s = ttl_s
        self._write_lock = asyncio.Lock()  # one writer per process: no CAS retries among our own calls

    async def began(self, call_sid: str) -> None:
        """Count `call_sid` as in progress (until it ends or its session could no longer exist)."""
        await self._update(call_sid, add=True)

    async def ended(self, call_sid: str, outcome: str | None) -> bool:
        """Mark the call ended; True only for the first end (a repeated status callback gets False)."""
        first = await self.store.put(
            ENDED_PREFIX + call_sid, outcome or "abandoned", expected_version=None, ttl_s=self.ttl_s
        )
        await self._update(call_sid, add=False)
        return first is not None

    async def has_ended(self, call_sid: str) -> bool:
        return await self.store.get(ENDED_PREFIX + call_sid) is not None

    async def count(self) -> int:
        """Calls in progress across every worker sharing the store."""
        found = await self.store.get(ACTIVE_KEY)
        if found is None:
            return 0
        now = self.clock.now().timestamp()
        return sum(1 for expires_at in _decode(found.payload).values() if expires_at > now)

    async def _update(self, call_sid: str, *, add: bool) -> None:
        async with self._write_lock:
            for _ in range(CAS_ATTEMPTS):
                found = await self.store.get(ACTIVE_KEY)
                now = self.clock.now().timestamp()
                active = {sid: at for sid, at in _decode(found.payload).items() if at > now} if found else {}
                if add:
                    active[call_sid] = now + self.ttl_s
                elif call_sid not in active:
                    return
                else:
                    del active[call_sid]
                version = found.version if found is not None else None
                written = await self.store.put(
                    ACTIVE_KEY, json.dumps(active), expected_version=version, ttl_s=self.ttl_s
                )
                if written is not None:
                    return
        raise SessionStoreUnavailable("active-call set too contended")


def _decode(payload: str) -> dict[str, float]:
    try:
        raw = json.loads(payload)
    except ValueError:
        log.warning("active_calls_unreadable")
        return {}
    return {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
