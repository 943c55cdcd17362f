"""Reads of calls with their facts: for roll-ups, the console's call list and its inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.analytics.facts import CallFacts
from hvac_agent.analytics.rollup import CallRow, VariantResult, compare_variants
from hvac_agent.analytics.variants import Experiment
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import appointments, call_facts, call_turns, calls

_C, _F, _T, _A = calls, call_facts, call_turns, appointments
InboxKind = Literal["emergency", "message", "transfer_unanswered", "fallback"]
INBOX_LABELS: dict[str, str] = {
    "emergency": "Emergency",
    "message": "Message",
    "transfer_unanswered": "Transfer not answered",
    "fallback": "Ended on a fallback",
}


class InboxItem(BaseModel):
    call_sid: str
    caller: str | None
    started_at: dt.datetime
    outcome: str
    urgency: str | None
    kinds: list[str]
    message: str | None  # the caller's last words when a message was left
    handled_at: dt.datetime | None


def _facts(raw: str | None) -> CallFacts | None:
    if not raw:
        return None
    try:
        return CallFacts.model_validate_json(raw)
    except ValidationError:
        return None  # a row written by another version: the call still counts, without facts


def _row(row: Any) -> CallRow:
    facts = _facts(row.facts)
    if facts is not None and (row.transfer_unanswered or row.fallback):
        facts = facts.model_copy(
            update={
                "transfer_unanswered": facts.transfer_unanswered or bool(row.transfer_unanswered),
                "fallback": facts.fallback or bool(row.fallback),
            }
        )
    return CallRow(
        call_sid=row.call_sid,
        caller=row.from_number,
        started_at=row.started_at,
        ended_at=row.ended_at,
        outcome=row.outcome,
        urgency=row.urgency,
        duration_s=row.duration_s,
        appointment_id=row.appointment_id,
        facts=facts,
    )


def _calls_with_facts() -> Select[Any]:
    return select(
        _C.c.call_sid,
        _C.c.from_number,
        _C.c.started_at,
        _C.c.ended_at,
        _C.c.outcome,
        _C.c.urgency,
        _C.c.duration_s,
        _C.c.appointment_id,
        _F.c.facts,
        _F.c.transfer_unanswered,
        _F.c.fallback,
        _F.c.handled_at,
    ).select_from(_C.outerjoin(_F, _F.c.call_sid == _C.c.call_sid))


async def call_rows(engine: AsyncEngine, since: dt.datetime, until: dt.datetime) -> list[CallRow]:
    """Calls started in [since, until), oldest first, with their facts."""
    query = _calls_with_facts().where(_C.c.started_at >= since, _C.c.started_at < until).order_by(_C.c.started_at)
    async with database_errors("call_rows"), engine.connect() as conn:
        return [_row(row) for row in await conn.execute(query)]


async def experiment_rows(engine: AsyncEngine, experiment: str) -> list[CallRow]:
    """Every call assigned to a variant of `experiment`."""
    query = _calls_with_facts().where(_F.c.experiment == experiment).order_by(_C.c.started_at)
    async with database_errors("experiment_rows"), engine.connect() as conn:
        return [_row(row) for row in await conn.execute(query)]


async def experiment_results(
    engine: AsyncEngine, experiments: list[Experiment]
) -> list[tuple[Experiment, list[VariantResult]]]:
    """Each experiment with its variants' calls, bookings and booking-rate intervals."""
    results = []
    for experiment in experiments:
        rows = await experiment_rows(engine, experiment.name)
        names = [v.name for v in experiment.variants]
        results.append((experiment, compare_variants(rows, experiment.name, names)))
    return results


async def search_calls(
    engine: AsyncEngine,
    *,
    text: str | None = None,
    outcome: str | None = None,
    urgency: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[CallRow]:
    """Newest first. `text` matches the caller's number, the call SID, the booked name or address,
    or any words of the transcript."""
    query = _calls_with_facts()
    if outcome:
        query = query.where(_C.c.outcome == outcome)
    if urgency:
        query = query.where(_C.c.urgency == urgency)
    if since is not None:
        query = query.where(_C.c.started_at >= since)
    if until is not None:
        query = query.where(_C.c.started_at < until)
    words = (text or "").strip()
    if words:
        pattern = f"%{_escape_like(words.lower())}%"
        digits = "".join(ch for ch in words if ch.isdigit())
        said = exists().where(_T.c.call_sid == _C.c.call_sid, func.lower(_T.c.text).like(pattern, escape="\\"))
        booked = exists().where(
            _A.c.call_sid == _C.c.call_sid,
            or_(
                func.lower(_A.c.customer_name).like(pattern, escape="\\"),
                func.lower(_A.c.address).like(pattern, escape="\\"),
            ),
        )
        matches = [func.lower(_C.c.call_sid).like(pattern, escape="\\"), said, booked]
        if len(digits) >= 3:
            matches.append(_C.c.from_number.like(f"%{digits}%"))
        query = query.where(or_(*matches))
    query = query.order_by(_C.c.started_at.desc(), _C.c.call_sid).limit(limit).offset(offset)
    async with database_errors("search_calls"), engine.connect() as conn:
        return [_row(row) for row in await conn.execute(query)]


async def inbox(engine: AsyncEngine, *, include_handled: bool = False, limit: int = 100) -> list[InboxItem]:
    """Calls that need a person: emergencies, messages, unanswered transfers, fallback endings;
    newest first, those not yet handled only unless asked."""
    needs_person = or_(
        _C.c.outcome.in_(("emergency", "message")),
        _C.c.urgency == "emergency",
        _F.c.transfer_unanswered.is_(True),
        _F.c.fallback.is_(True),
    )
    query = _calls_with_facts().where(needs_person)
    if not include_handled:
        query = query.where(_F.c.handled_at.is_(None))
    query = query.order_by(_C.c.started_at.desc()).limit(limit)
    async with database_errors("inbox"), engine.connect() as conn:
        rows = list(await conn.execute(query))
        message_sids = [r.call_sid for r in rows if r.outcome == "message"]
        messages = await _last_caller_words(conn, message_sids)
    items = []
    for row in rows:
        kinds = []
        if row.outcome == "emergency" or row.urgency == "emergency":
            kinds.append("emergency")
        if row.outcome == "message":
            kinds.append("message")
        if row.transfer_unanswered:
            kinds.append("transfer_unanswered")
        if row.fallback:
            kinds.append("fallback")
        items.append(
            InboxItem(
                call_sid=row.call_sid,
                caller=row.from_number,
                started_at=row.started_at,
                outcome=row.outcome,
                urgency=row.urgency,
                kinds=kinds,
                message=messages.get(row.call_sid),
                handled_at=row.handled_at,
            )
        )
    return items


async def _last_caller_words(conn: Any, call_sids: list[str]) -> dict[str, str]:
    if not call_sids:
        return {}
    last = (
        select(_T.c.call_sid, func.max(_T.c.seq).label("seq"))
        .where(_T.c.call_sid.in_(call_sids), _T.c.role == "caller")
        .group_by(_T.c.call_sid)
        .subquery()
    )
    query = select(_T.c.call_sid, _T.c.text).join(last, and_(_T.c.call_sid == last.c.call_sid, _T.c.seq == last.c.seq))
    return {row.call_sid: row.text for row in await conn.execute(query)}


async def turns_since(engine: AsyncEngine, call_sid: str, after_seq: int) -> tuple[list[dict[str, Any]], bool]:
    """Transcript turns after `after_seq` (each with its `seq`), and whether the call has ended."""
    query = (
        select(_T.c.seq, _T.c.role, _T.c.text, _T.c.at)
        .where(_T.c.call_sid == call_sid, _T.c.seq > after_seq)
        .order_by(_T.c.seq)
    )
    async with database_errors("turns_since"), engine.connect() as conn:
        turns = [
            {"seq": t.seq, "role": t.role, "text": t.text, "at": t.at.isoformat()} for t in await conn.execute(query)
        ]
        ended_at = (await conn.execute(select(_C.c.ended_at).where(_C.c.call_sid == call_sid))).scalar_one_or_none()
    return turns, ended_at is not None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
