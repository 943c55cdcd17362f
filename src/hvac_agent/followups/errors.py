"""The one error vocabulary the dispatcher sees from any channel (SMS, webhook, email, LLM)."""

from __future__ import annotations


class DeliveryError(RuntimeError):
    """An attempt failed. `retryable`: worth trying again later; `in_doubt`: it may have got through
    (the request was sent but no answer came), so check before sending again."""

    def __init__(self, message: str, *, retryable: bool, in_doubt: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.in_doubt = in_doubt
        self.code = code
