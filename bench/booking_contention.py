"""Booking contention benchmark: N concurrent attempts on ONE window, checked against the database.

    python bench/booking_contention.py [--attempts 1000] [--concurrency 50] [--capacity 3]
        [--callers 40] [--db-url postgresql://127.0.0.1:5432/test]

Creates a scratch database next to `--db-url` (PostgreSQL: a new database on that server; SQLite:
a temp file), migrates it, fires the attempts (distinct call_sids plus repeats of earlier ones, to
exercise idempotency) over several engines so PostgreSQL sees real concurrent transactions, then
drops the scratch database. Exits non-zero if any invariant is broken.

Then the callers' view (held offers): `--callers` concurrent callers each hear the first open
windows, think, choose the first one (the read-back hold), think, and book it, as a real call does
through the policy. It reports offers lost after being heard — the chosen window was gone at the
read-back or at the booking — with holds (the product) and without (offers not held, the old
behaviour), on fresh databases each. Below capacity the goal is 0 with holds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from hvac_agent.booking.availability import candidate_windows
from hvac_agent.booking.db import create_engine, migrate
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.booking.models import appointments, window_capacity
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import SystemClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.state import BookingRequest, BookingResult


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=1000, help="booking attempts in total")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="attempts in flight at once (= connections, mind max_connections)"
    )
    parser.add_argument("--capacity", type=int, default=3, help="technicians per window (demo profile: 3)")
    parser.add_argument("--engines", type=int, default=4, help="separate engines (connection pools)")
    parser.add_argument("--duplicate-every", type=int, default=10, help="1 attempt in K repeats an early call_sid")
    parser.add_argument("--db-url", default="postgresql://127.0.0.1:5432/test", help="server to use")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--callers", type=int, default=40, help="concurrent callers in the held-offers run (0: skip)")
    parser.add_argument("--think-ms", type=float, default=300.0, help="max pause between hearing and answering")
    return parser.parse_args(argv)


def scratch_url(db_url: str) -> tuple[str, str]:
    """(URL of a new scratch database, its name); creates it."""
    if db_url.startswith("sqlite"):
        path = Path(tempfile.mkdtemp(prefix="hvac_bench_")) / "bench.db"
        return f"sqlite:///{path}", str(path)
    import psycopg

    name = f"hvac_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_plain(db_url), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    base, _, _ = db_url.partition("?")[0].rpartition("/")
    return f"{base}/{name}", name


def drop_scratch(db_url: str, name: str) -> None:
    if db_url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        Path(name).parent.rmdir()
        return
    import psycopg

    with psycopg.connect(_plain(db_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def _plain(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def make_request(call_sid: str, day: dt.date, window: str) -> BookingRequest:
    return BookingRequest(
        call_sid=call_sid,
        customer_name="Bench Caller",
        phone="+15125550100",
        address="1 Bench Street",
        unit=None,
        zip="78701",
        issue="bench",
        issue_category="other",
        urgency="routine",
        date=day,
        window=window,
    )


async def run(args: argparse.Namespace, url: str) -> int:
    await migrate(url)
    profile = BusinessProfile(technicians_per_window=args.capacity, min_lead_minutes=0)
    clock = SystemClock()
    per_engine = max(1, args.concurrency // args.engines + 1)
    engines = [create_engine(url, pool_size=per_engine, max_overflow=0) for _ in range(args.engines)]
    services = [BookingService(e, profile, clock) for e in engines]
    try:
        probe = BookingService(engines[0], profile.model_copy(update={"technicians_per_window": 1}), clock)
        target = (await probe.open_windows(limit=1))[0]
        rng = random.Random(args.seed)
        # Repeats draw on a small hot set of early callers (some of which win the window) and are
        # placed among the first attempts, so they race their originals.
        call_sids = [f"CAbench{i:06d}" for i in range(args.attempts)]
        hot = call_sids[: max(2 * args.capacity, 10)]
        if args.duplicate_every > 0:
            for _ in range(args.attempts // args.duplicate_every):
                call_sids.pop()
                call_sids.insert(rng.randrange(min(len(call_sids), 2 * args.concurrency)), rng.choice(hot))
        repeats = len(call_sids) - len(set(call_sids))

        gate = asyncio.Semaphore(args.concurrency)
        latencies: list[float] = []

        async def attempt(i: int, call_sid: str) -> tuple[str, BookingResult]:
            async with gate:
                started = time.perf_counter()
                request = make_request(call_sid, target.date, target.window)
                try:
                    result = await services[i % len(services)].book(request)
                except BookingUnavailable:  # e.g. the server's max_connections: count, don't crash
                    result = BookingResult(ok=False, reason="error")
                latencies.append(time.perf_counter() - started)
                return call_sid, result

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(attempt(i, sid) for i, sid in enumerate(call_sids)))
        elapsed = time.perf_counter() - started

        reasons = Counter(result.reason for _, result in outcomes)
        ids_per_call: dict[str, set[int]] = {}
        for sid, result in outcomes:
            if result.ok and result.appointment_id is not None:
                ids_per_call.setdefault(sid, set()).add(result.appointment_id)
        inconsistent = sum(1 for ids in ids_per_call.values() if len(ids) > 1)
        told_booked = len({next(iter(ids)) for ids in ids_per_call.values()})

        async with engines[0].connect() as conn:
            booked_rows = await conn.scalar(
                select(func.count()).where(
                    appointments.c.date == target.date,
                    appointments.c.window == target.window,
                    appointments.c.status == "booked",
                )
            )
            duplicates = await conn.scalar(
                select(func.count()).select_from(
                    select(appointments.c.call_sid)
                    .group_by(appointments.c.call_sid)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            counter = await conn.scalar(
                select(window_capacity.c.booked).where(
                    window_capacity.c.date == target.date, window_capacity.c.window == target.window
                )
            )
        booked_rows, duplicates, counter = int(booked_rows or 0), int(duplicates or 0), int(counter or 0)
        over_capacity = max(0, booked_rows - args.capacity)
        quantiles = statistics.quantiles(latencies, n=100)

        dialect = engines[0].dialect.name
        print(f"database            {dialect} (scratch), {args.engines} engines x pool {per_engine}")
        print(f"window              {target.date} {target.window}")
        print(f"attempts            {args.attempts} ({repeats} repeat a call_sid)")
        print(f"concurrency         {args.concurrency}")
        print(f"capacity            {args.capacity}")
        print(f"bookings made       {booked_rows} (window_capacity.booked = {counter})")
        print("results             " + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items())))
        print(f"attempts/s          {args.attempts / elapsed:.0f} ({elapsed:.2f} s total)")
        print(f"latency ms          p50 {quantiles[49] * 1000:.1f}, p99 {quantiles[98] * 1000:.1f}")
        print(f"duplicates found    {duplicates} (must be 0)")
        print(f"over-capacity       {over_capacity} (must be 0)")
        print(f"call told 2 ids     {inconsistent} (must be 0)")
        checks = {
            "duplicates": duplicates == 0,
            "over-capacity": over_capacity == 0,
            "counter matches rows": counter == booked_rows,
            "window filled": booked_rows == min(args.capacity, len(set(call_sids))),
            "callers told booked == rows": told_booked == booked_rows,
            "one id per call": inconsistent == 0,
            "no errors": set(reasons) <= {"booked", "already_booked", "window_full"},
        }
        failed = [name for name, ok in checks.items() if not ok]
        print("verdict             " + ("OK" if not failed else "FAILED: " + ", ".join(failed)))
        return 1 if failed else 0
    finally:
        for engine in engines:
            await engine.dispose()


async def run_callers(args: argparse.Namespace, url: str, *, held: bool) -> tuple[int, dict[str, int]]:
    """`--callers` callers through offer → read-back → booking; (exit code, counts)."""
    await migrate(url)
    profile = BusinessProfile(technicians_per_window=args.capacity, min_lead_minutes=0)
    clock = SystemClock()
    engines = [
        create_engine(url, pool_size=max(2, args.callers // args.engines + 2), max_overflow=0)
        for _ in range(args.engines)
    ]
    services = [BookingService(e, profile, clock) for e in engines]
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()

    async def think() -> None:
        await asyncio.sleep(rng.uniform(0, args.think_ms / 1000))

    async def caller(i: int) -> None:
        """Hear windows, take the first; a window lost is replaced by the next free one at once,
        as the dialogue does (up to three times, then the caller would go to a person)."""
        service, sid = services[i % len(services)], f"CAcaller{i:05d}"
        for attempt in range(3):
            windows = await service.open_windows(limit=3, hold_for=sid if held else None)
            if not windows:
                counts["no window left (to a person)"] += 1
                return
            heard = windows[0]
            await think()
            if held and not await service.hold_window(sid, heard.date, heard.window):
                counts["lost at read-back"] += 1
                continue
            await think()
            result = await service.book(make_request(sid, heard.date, heard.window))
            if result.ok:
                counts["booked" if attempt == 0 else "booked after a lost race"] += 1
                return
            counts[f"lost at booking ({result.reason})"] += 1
        counts["lost three times (to a person)"] += 1

    try:
        await asyncio.gather(*(caller(i) for i in range(args.callers)))
        async with engines[0].connect() as conn:
            over = await conn.scalar(
                select(func.count()).select_from(
                    select(appointments.c.date, appointments.c.window)
                    .where(appointments.c.status == "booked")
                    .group_by(appointments.c.date, appointments.c.window)
                    .having(func.count() > args.capacity)
                    .subquery()
                )
            )
    finally:
        for engine in engines:
            await engine.dispose()
    places = sum(profile.capacity_units(c.date, c.window) for c in candidate_windows(profile, clock.now()))
    counts["windows over capacity"] = int(over or 0)
    lost = sum(v for k, v in counts.items() if k.startswith("lost at"))
    counts["offers lost after being heard"] = lost
    # "Below capacity": every caller's three held offers fit in the places within the horizon.
    below = args.callers * 3 <= places
    failed = counts["windows over capacity"] > 0 or (held and below and lost > 0)
    counts["places in horizon"] = places
    return (1 if failed else 0), dict(counts)


def callers_report(args: argparse.Namespace) -> int:
    code = 0
    print(
        f"\nheld offers: {args.callers} concurrent callers, capacity {args.capacity}, think <= {args.think_ms:.0f} ms"
    )
    for held in (True, False):
        url, name = scratch_url(args.db_url)
        try:
            result, counts = asyncio.run(run_callers(args, url, held=held))
        finally:
            drop_scratch(args.db_url, name)
        label = "with holds   " if held else "without holds"
        print(f"{label}       " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        code = code or result
    print("verdict             " + ("OK (below capacity: 0 offers lost with holds)" if code == 0 else "FAILED"))
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, name = scratch_url(args.db_url)
    try:
        code = asyncio.run(run(args, url))
    finally:
        drop_scratch(args.db_url, name)
    if args.callers > 0:
        code = code or callers_report(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
