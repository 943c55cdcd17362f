"""The secret behind stream tokens, the same in every worker and instance.

`HVAC_STREAM_SECRET` when set; else derived from `TWILIO_AUTH_TOKEN` (an HMAC with a fixed label,
so the auth token itself is never the key); else generated once and kept in the session store —
the store every worker shares — so tokens issued by one instance verify on another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping

from hvac_agent.clock import Clock
from hvac_agent.config import Settings
from hvac_agent.sessions.store import SessionStore
from hvac_agent.telephony.stream_token import start_refusal, stream_parameters

STORE_KEY = "guard:stream-secret"
_KEEP_S = 10 * 365 * 24 * 3600
_DERIVE_LABEL = b"hvac-agent stream tokens"


class StreamSecret:
    def __init__(self, settings: Settings, store: SessionStore) -> None:
        self.store = store
        self._fixed: bytes | None = None
        if settings.stream_secret:
            self._fixed = settings.stream_secret.encode()
        elif settings.twilio_auth_token:
            self._fixed = hmac.new(settings.twilio_auth_token.encode(), _DERIVE_LABEL, hashlib.sha256).digest()
        self._stored: bytes | None = None

    @property
    def fixed(self) -> bool:
        """Configured or derived (not read from the store)."""
        return self._fixed is not None

    async def get(self, *, refresh: bool = False) -> bytes:
        """The secret; `refresh` re-reads a stored one (another instance may have replaced it
        after the store lost it). Raises `SessionStoreUnavailable` when it must be read and cannot."""
        if self._fixed is not None:
            return self._fixed
        if self._stored is None or refresh:
            self._stored = await self._load_or_create()
        return self._stored

    async def _load_or_create(self) -> bytes:
        for _ in range(5):
            found = await self.store.get(STORE_KEY)
            if found is not None:
                return found.payload.encode()
            fresh = secrets.token_urlsafe(32)
            if await self.store.put(STORE_KEY, fresh, expected_version=None, ttl_s=_KEEP_S) is not None:
                return fresh.encode()
            # another worker created it first: read theirs
        raise RuntimeError("could not read or create the stream secret")


class StreamTokens:
    """Issues a call's `<Stream>` parameters and judges `start` frames, on the shared secret."""

    def __init__(self, secret: StreamSecret, clock: Clock, on_refuse: Callable[[str], None] | None = None) -> None:
        self.secret = secret
        self.clock = clock
        self.on_refuse = on_refuse

    async def parameters(self, call_sid: str, caller: str | None) -> dict[str, str]:
        return stream_parameters(await self.secret.get(), call_sid, caller, self.clock.now())

    async def refusal(self, call_sid: str, parameters: Mapping[str, str]) -> str | None:
        """None when the `start` belongs to its call, else why not (fails closed on store errors)."""
        try:
            refused = start_refusal(await self.secret.get(), call_sid, parameters, self.clock.now())
            if refused == "token_mismatch" and not self.secret.fixed:
                # A stored secret may have been replaced since we read it (the store lost it).
                refused = start_refusal(await self.secret.get(refresh=True), call_sid, parameters, self.clock.now())
        except Exception as error:  # noqa: BLE001 - no secret, no admission
            refused = f"secret_unavailable:{type(error).__name__}"
        if refused is not None and self.on_refuse is not None:
            self.on_refuse("stream_token")
        return refused
