"""Pick the session store from settings: Redis when configured, else the embedded SQLite file."""

from __future__ import annotations

from hvac_agent.clock import Clock
from hvac_agent.config import Settings
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore
from hvac_agent.sessions.redis_store import RedisSessionStore
from hvac_agent.sessions.store import SessionStore


def make_session_store(settings: Settings, clock: Clock) -> SessionStore:
    """Build (without connecting) the store `settings` asks for; the caller owns `close()`."""
    if settings.redis_url:
        return RedisSessionStore(settings.redis_url, clock=clock)
    return EmbeddedSessionStore(settings.session_db_path, clock=clock)
