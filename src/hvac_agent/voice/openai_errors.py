"""The OpenAI SDK's failures in our vocabulary, for both OpenAI speech engines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import openai

from hvac_agent.voice.errors import TRANSPORT_ERRORS, EngineError, from_http_status


@contextmanager
def openai_failures(engine: str) -> Iterator[None]:
    try:
        yield
    except openai.APIStatusError as error:
        raise from_http_status(
            engine, error.status_code, error.message, retry_after=error.response.headers.get("retry-after")
        ) from error
    except openai.APIError as error:  # connection refused, timeouts, bodies that are not JSON
        raise EngineError(engine, repr(error)) from error
    except TRANSPORT_ERRORS as error:  # the connection lost mid-body
        raise EngineError(engine, repr(error)) from error
