"""The `backend` fixture: the same behaviour suite runs against the embedded and the Redis store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from session_backends import Backend, embedded_backend, redis_backend


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "embedded":
        async for item in embedded_backend(tmp_path):
            yield item
    else:
        url = request.getfixturevalue("redis_url")
        async for item in redis_backend(url):
            yield item
