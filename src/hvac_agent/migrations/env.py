"""Alembic environment for hvac-agent.

`hvac_agent.booking.db.migrate()` hands us an open connection (inside its locked transaction) via
`config.attributes["connection"]`. Run by hand (`alembic -x url=… upgrade head` with
`script_location` pointing here), we open our own async engine.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from hvac_agent.booking.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from hvac_agent.config import Settings

        url = Settings().database_url
    return url


async def _run_standalone() -> None:
    from hvac_agent.booking.db import create_engine, run_locked

    engine = create_engine(_url())
    try:
        await run_locked(engine, _run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    asyncio.run(_run_standalone())
