"""A per-number limit on new calls (toll fraud, floods), held in the shared session store.

Each caller number may start `limit` calls per fixed window of `window_s` seconds; the count is of
distinct call SIDs (a retried webhook for a call already let in is not a new call), kept in the
session store with compare-and-set, so every worker and instance counts together. When the store
cannot answer, the call is let in: the limit guards against abuse, it must not turn away callers
because Redis blinked.
"""

from __future__ import annotations

import json

from hvac_agent.calls import caller_id_e164
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile
from hvac_agent.observability.logging import get_logger
from hvac_agent.observability.metrics import Metrics
from hvac_agent.sessions.store import SessionStore

log = get_logger("hvac_agent.guard.call_limit")
KEY_PREFIX = "guard:new-calls:"
CAS_ATTEMPTS = 8


def limit_message(profile: BusinessProfile) -> str:
    """What a caller over the limit hears (then the call ends): polite, and safety first."""
    return (
        f"Thanks for calling {profile.name}. We've had several calls from this number in the last few "
        "minutes, so we can't take another one right now. Please try again a little later. "
        "If you smell gas or someone is in danger, leave the building and call 911. Goodbye."
    )


class NewCallLimit:
    def __init__(self, store: SessionStore, clock: Clock, *, limit: int, window_s: int) -> None:
        self.store = store
        self.clock = clock
        self.limit = limit
        self.window_s = window_s

    def _key(self, caller: str | None) -> str:
        number = caller_id_e164(caller) or (caller or "").strip().lower()[:40] or "unknown"
        window = int(self.clock.now().timestamp()) // self.window_s
        return f"{KEY_PREFIX}{number}:{window}"

    async def admit(self, caller: str | None, call_sid: str) -> bool:
        """True when this call may go on (counted now, once per call SID)."""
        key = self._key(caller)
        try:
            for _ in range(CAS_ATTEMPTS):
                found = await self.store.get(key)
                seen: list[str] = json.loads(found.payload) if found is not None else []
                if call_sid in seen:
                    return True
                if len(seen) >= self.limit:
                    return False
                version = found.version if found is not None else None
                written = await self.store.put(
                    key, json.dumps([*seen, call_sid]), expected_version=version, ttl_s=self.window_s + 1
                )
                if written is not None:
                    return True
        except Exception as error:  # noqa: BLE001 - fail open: never refuse callers for our outage
            log.warning("call_limit_unavailable", error=type(error).__name__)
            return True
        log.warning("call_limit_contended")
        return True


async def admit_new_call(limit: NewCallLimit, metrics: Metrics, caller: str | None, call_sid: str) -> bool:
    """The incoming-call webhook's check: False (counted as refused) when this number is over its limit."""
    if await limit.admit(caller, call_sid):
        return True
    log.warning("new_call_limited", call_sid=call_sid, caller=caller)
    metrics.requests_refused.labels(reason="call_limit").inc()
    return False
