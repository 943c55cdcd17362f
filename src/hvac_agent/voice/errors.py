"""One error vocabulary for speech engines: adapters translate vendor failures into these."""

from __future__ import annotations


class EngineError(Exception):
    """A speech engine failed. `retryable` tells failover whether the engine may recover soon."""

    def __init__(self, engine: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine
        self.retryable = retryable


class EngineUnavailable(EngineError):
    """The engine cannot run here at all (missing library/model, no credentials)."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(engine, message, retryable=False)
