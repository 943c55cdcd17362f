"""One error vocabulary for speech engines: adapters translate vendor failures into these, and
breakers and failover see nothing else.

- `EngineError(retryable=True)`: a transient failure (connection dropped, 5xx, timeout, garbage).
- `RateLimited`: the provider said slow down (HTTP 429, a concurrency limit); retryable, with the
  wait the provider asked for when it gave one.
- `EngineError(retryable=False)`: it will not work until someone acts (bad credentials, a voice
  or model that does not exist, a 4xx that is our request's fault).
- `EngineUnavailable`: the engine cannot run here at all (missing SDK, model or key).
"""

from __future__ import annotations


class EngineError(Exception):
    """A speech engine failed. `retryable` tells failover whether the engine may recover soon."""

    def __init__(self, engine: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine
        self.retryable = retryable


class RateLimited(EngineError):
    """429 or a concurrency limit: wait `retry_after_s` (when the provider said), then try again."""

    def __init__(self, engine: str, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(engine, message, retryable=True)
        self.retry_after_s = retry_after_s


class EngineUnavailable(EngineError):
    """The engine cannot run here at all (missing library/model, no credentials)."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(engine, message, retryable=False)


def from_http_status(engine: str, status: int, detail: str = "", *, retry_after: str | None = None) -> EngineError:
    """An HTTP (or WebSocket upgrade) status → our vocabulary."""
    text = f"HTTP {status}{': ' + detail[:200] if detail else ''}"
    if status == 429:
        return RateLimited(engine, text, retry_after_s=_seconds(retry_after))
    if status in (401, 403):
        return EngineError(engine, f"credentials refused ({text})", retryable=False)
    if status in (408, 409, 425) or status >= 500:
        return EngineError(engine, text, retryable=True)
    return EngineError(engine, text, retryable=False)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def transport_errors() -> tuple[type[Exception], ...]:
    """The HTTP client errors SDKs let through while a body streams (the OpenAI SDK ships its own
    fork of httpx): a connection lost mid-audio."""
    import httpx

    errors: list[type[Exception]] = [httpx.HTTPError]
    try:
        import httpx2  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        errors.append(httpx2.HTTPError)
    return tuple(errors)


TRANSPORT_ERRORS: tuple[type[Exception], ...] = transport_errors()
