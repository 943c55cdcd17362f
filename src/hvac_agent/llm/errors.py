"""The one error vocabulary the agents and the degradation ladder see from any LLM endpoint."""

from __future__ import annotations

from typing import Literal

LlmFailure = Literal["timeout", "circuit_open", "rate_limited", "status", "connection", "protocol"]


class LlmError(RuntimeError):
    """The endpoint could not give a usable answer in time. `kind` says why; nothing vendor-shaped
    leaks past the client."""

    def __init__(self, kind: LlmFailure, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.status = status
