"""Roll-ups over finished calls: per day, the booking funnel, latency percentiles, drop-off points,
A/B comparisons and the CSV export. Pure functions over `CallRow`s (the queries load them)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel

from hvac_agent.analytics.facts import CallFacts
from hvac_agent.booking.availability import local_today
from hvac_agent.config import BusinessProfile

Z_95 = 1.959964  # two-sided 95 %
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("greeted", "Greeted"),
    ("problem", "Told us the problem"),
    ("contact", "Gave name and number"),
    ("address", "Gave the address"),
    ("offered", "Heard open windows"),
    ("read_back", "Heard the read-back"),
    ("booked", "Booked"),
)


@dataclass(frozen=True, slots=True)
class CallRow:
    call_sid: str
    caller: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str
    urgency: str | None
    duration_s: int | None
    appointment_id: int | None
    facts: CallFacts | None


class Percentiles(BaseModel):
    samples: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None


class DayRollup(BaseModel):
    date: dt.date
    calls: int
    outcomes: dict[str, int]
    booked: int
    booking_rate: float | None
    avg_duration_s: float | None
    avg_turns: float | None
    misunderstandings: int
    transfers: int
    transfers_unanswered: int
    fallbacks: int
    degraded_calls: int
    latency: Percentiles


class VariantResult(BaseModel):
    variant: str
    calls: int
    booked: int
    booking_rate: float | None
    ci_low: float | None  # Wilson 95 % interval of the booking rate
    ci_high: float | None


def local_day(when: dt.datetime, tz: ZoneInfo) -> dt.date:
    return when.astimezone(tz).date()


def period(profile: BusinessProfile, now: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    """The last `days` business-local days up to today: [since, until) in UTC terms, and the dates."""
    today = local_today(profile, now)
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=profile.tz)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=profile.tz)
    return since, until, [first + dt.timedelta(days=i) for i in range(days)]


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval: honest at small counts and rates near 0 or 1 (unlike p ± z·se)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def percentiles(samples: Sequence[int | float]) -> Percentiles:
    if not samples:
        return Percentiles(samples=0, p50_ms=None, p90_ms=None, p99_ms=None)
    p50, p90, p99 = (float(v) for v in np.percentile(np.asarray(samples, dtype=float), [50, 90, 99]))
    return Percentiles(samples=len(samples), p50_ms=round(p50, 1), p90_ms=round(p90, 1), p99_ms=round(p99, 1))


def _latencies(rows: Iterable[CallRow]) -> list[int]:
    return [ms for row in rows if row.facts is not None for ms in row.facts.latency_ms]


def daily(rows: Sequence[CallRow], tz: ZoneInfo) -> list[DayRollup]:
    """One roll-up per business-local day that had calls, oldest first."""
    by_day: dict[dt.date, list[CallRow]] = {}
    for row in rows:
        by_day.setdefault(local_day(row.started_at, tz), []).append(row)
    result = []
    for day in sorted(by_day):
        day_rows = by_day[day]
        facts = [r.facts for r in day_rows if r.facts is not None]
        durations = [r.duration_s for r in day_rows if r.duration_s is not None]
        booked = sum(r.outcome == "booked" for r in day_rows)
        result.append(
            DayRollup(
                date=day,
                calls=len(day_rows),
                outcomes=dict(Counter(r.outcome for r in day_rows)),
                booked=booked,
                booking_rate=round(booked / len(day_rows), 4),
                avg_duration_s=round(sum(durations) / len(durations), 1) if durations else None,
                avg_turns=round(sum(f.turns for f in facts) / len(facts), 2) if facts else None,
                misunderstandings=sum(f.misunderstandings for f in facts),
                transfers=sum(len(f.transfers) for f in facts),
                transfers_unanswered=sum(f.transfer_unanswered for f in facts),
                fallbacks=sum(f.fallback for f in facts),
                degraded_calls=sum(bool(f.degradations) for f in facts),
                latency=percentiles(_latencies(day_rows)),
            )
        )
    return result


def _stages(row: CallRow) -> set[str]:
    facts = row.facts or CallFacts()
    given = set(facts.slots_given)
    reached = {"greeted"}
    if "issue" in given:
        reached.add("problem")
    if {"name", "phone"} <= given:
        reached.add("contact")
    if {"street", "zip"} <= given:
        reached.add("address")
    if facts.windows_offered:
        reached.add("offered")
    if facts.read_back:
        reached.add("read_back")
    if row.outcome == "booked":
        reached.add("booked")
    return reached


def funnel(rows: Sequence[CallRow]) -> list[tuple[str, int]]:
    """Calls that reached each step from greeting to booking (labels for people, in order)."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(_stages(row))
    return [(label, counts[key]) for key, label in FUNNEL_STAGES]


def drop_off(rows: Sequence[CallRow]) -> list[tuple[str, int]]:
    """Where callers who hung up were left: what the agent was waiting for, most common first."""
    counts = Counter(
        (row.facts.last_asked if row.facts and row.facts.last_asked else "unknown")
        for row in rows
        if row.outcome == "abandoned"
    )
    return counts.most_common()


def compare_variants(rows: Sequence[CallRow], experiment: str, variants: Sequence[str]) -> list[VariantResult]:
    """Counts, booking rate and its Wilson 95 % interval per variant of one experiment."""
    results = []
    for name in variants:
        arm = [r for r in rows if r.facts and r.facts.experiment == experiment and r.facts.variant == name]
        finished = [r for r in arm if r.outcome != "in_progress"]
        booked = sum(r.outcome == "booked" for r in finished)
        interval = wilson_interval(booked, len(finished))
        results.append(
            VariantResult(
                variant=name,
                calls=len(finished),
                booked=booked,
                booking_rate=round(booked / len(finished), 4) if finished else None,
                ci_low=round(interval[0], 4) if interval else None,
                ci_high=round(interval[1], 4) if interval else None,
            )
        )
    return results


CSV_COLUMNS = (
    "call_sid",
    "started_at",
    "ended_at",
    "caller",
    "outcome",
    "urgency",
    "duration_s",
    "appointment_id",
    "channel",
    "experiment",
    "variant",
    "turns",
    "slots_given",
    "misunderstandings",
    "transfers",
    "transfer_reasons",
    "transfer_unanswered",
    "fallback",
    "latency_p50_ms",
    "latency_max_ms",
    "degradations",
    "engines",
    "last_asked",
)


def facts_csv(rows: Sequence[CallRow]) -> str:
    """One line per call: the record's fields and its facts (lists joined with `|`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        f = row.facts or CallFacts()
        lat = percentiles(f.latency_ms)
        writer.writerow(
            [
                row.call_sid,
                row.started_at.isoformat(),
                row.ended_at.isoformat() if row.ended_at else "",
                row.caller or "",
                row.outcome,
                row.urgency or "",
                row.duration_s if row.duration_s is not None else "",
                row.appointment_id or "",
                f.channel,
                f.experiment or "",
                f.variant or "",
                f.turns,
                "|".join(f.slots_given),
                f.misunderstandings,
                len(f.transfers),
                "|".join(t.reason for t in f.transfers),
                int(f.transfer_unanswered),
                int(f.fallback),
                lat.p50_ms if lat.p50_ms is not None else "",
                max(f.latency_ms) if f.latency_ms else "",
                "|".join(f.degradations),
                "|".join(f.engines),
                f.last_asked or "",
            ]
        )
    return out.getvalue()
