"""Who may be texted: consent recorded per number, STOP/START/HELP keywords understood.

A caller who gives a number to book a visit agrees to texts about that visit (recorded as
`opted_in`, source `booking:<CallSid>`); STOP (and the other carrier opt-out words) records
`opted_out`, which nothing but the caller's own START/UNSTOP/YES undoes. Nobody opted out is texted.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.followups.models import sms_consent

Keyword = Literal["stop", "start", "help"]
# The standard opt-out / opt-in / help words carriers and Twilio act on (whole message, any case).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
_OPT_OUT_TYPES: dict[str, Keyword] = {"STOP": "stop", "START": "start", "HELP": "help"}


def keyword(body: str, opt_out_type: str | None = None) -> Keyword | None:
    """The keyword a text is, if it is one. Twilio's own verdict (`OptOutType`) wins when present."""
    if opt_out_type and opt_out_type.strip().upper() in _OPT_OUT_TYPES:
        return _OPT_OUT_TYPES[opt_out_type.strip().upper()]
    word = body.strip().strip(".!").replace(" ", "").upper()
    if word in OPT_OUT_WORDS:
        return "stop"
    if word in OPT_IN_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


class ConsentStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def status(self, phone: str) -> Literal["opted_in", "opted_out"] | None:
        query = select(sms_consent.c.status).where(sms_consent.c.phone == phone)
        async with database_errors("consent"), self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        return found

    async def record(
        self,
        phone: str,
        status: Literal["opted_in", "opted_out"],
        source: str,
        now: dt.datetime,
        *,
        keep_opt_out: bool = False,
    ) -> None:
        """Record consent. `keep_opt_out`: an implied consent (a booking) never undoes a STOP."""
        insert = (pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert)(sms_consent)
        statement = insert.values(phone=phone, status=status, source=source[:100], updated_at=now)
        where = sms_consent.c.status != "opted_out" if keep_opt_out else None
        statement = statement.on_conflict_do_update(
            index_elements=[sms_consent.c.phone],
            set_={"status": status, "source": source[:100], "updated_at": now},
            where=where,
        )
        async with database_errors("consent"), write_transaction(self._engine) as conn:
            await conn.execute(statement)
