"""The session store protocol: versioned blobs with compare-and-set.

A session is an opaque JSON string plus a version number. `put` succeeds only when the caller
read the current version (`expected_version`, or `None` to create), so two workers handling the
same call — or Twilio retrying a webhook — can never silently overwrite each other's turn: the
loser gets `None` back, re-reads and sees the winner's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SessionStoreUnavailable(Exception):
    """The backing store cannot serve right now (Redis down, database locked or unreadable).

    Stores translate every backend error into this one exception, so the telephony edge has a
    single thing to catch when it must still answer the caller politely.
    """


@dataclass(frozen=True, slots=True)
class Versioned:
    payload: str
    version: int


class SessionStore(Protocol):
    async def get(self, key: str) -> Versioned | None:
        """The current payload and version; never stale (a cache must validate its version)."""
        ...

    async def put(self, key: str, payload: str, *, expected_version: int | None, ttl_s: int) -> int | None:
        """Write if the stored version equals `expected_version` (`None`: only if absent).

        Returns the new version, or `None` when another writer got there first.
        """
        ...

    async def delete(self, key: str) -> None: ...

    async def ping(self) -> bool:
        """True when the store can serve reads and writes now."""
        ...

    async def close(self) -> None: ...
