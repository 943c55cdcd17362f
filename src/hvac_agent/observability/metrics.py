"""Prometheus metrics, on a registry of our own (so app factories in tests never collide)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import Scope

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.calls = Counter("hvac_calls", "Calls started", ["mode"], registry=r)
        self.calls_ended = Counter("hvac_calls_ended", "Calls ended, by outcome", ["outcome"], registry=r)
        self.active_calls = Gauge(
            "hvac_active_calls", "Calls in progress (every worker sharing the session store)", registry=r
        )
        self.turns = Counter("hvac_turns", "Caller turns handled", ["agent"], registry=r)
        self.bookings = Counter("hvac_bookings", "Booking attempts by result", ["result"], registry=r)
        self.turn_latency = Histogram(
            "hvac_turn_latency_seconds",
            "Webhook/turn handling time",
            ["mode"],
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.provider_errors = Counter(
            "hvac_provider_errors", "Errors from providers and stores", ["provider"], registry=r
        )
        self.circuit_state = Gauge("hvac_circuit_open", "1 when a circuit breaker is open", ["circuit"], registry=r)
        self.webhook_rejected = Counter(
            "hvac_webhook_rejected", "Requests refused (bad signature), by route template", ["path"], registry=r
        )
        self.requests_refused = Counter(
            "hvac_requests_refused",
            "Requests refused at the edge, by reason (body_too_large, body_timeout, "
            "not_form, stream_cap, stream_token, call_limit, call_ended, stale_turn)",
            ["reason"],
            registry=r,
        )
        self.unexpected_errors = Counter(
            "hvac_unexpected_errors",
            "Failures no handler expected (logged with their traceback), by place",
            ["where"],
            registry=r,
        )
        self.duplicate_webhooks = Counter(
            "hvac_duplicate_webhooks", "Retried webhooks answered from the stored reply", registry=r
        )

    def call_record_failed(self, outage: bool, calls: int = 1) -> None:
        """A call-record write that failed: a database outage (expected) or a bug; `calls` whose
        turns it held (a grouped write holds several)."""
        if outage:
            self.provider_errors.labels(provider="database").inc(calls)
        else:
            self.unexpected_errors.labels(where="call_record").inc(calls)

    def render(self) -> bytes:
        return generate_latest(self.registry)


UNMATCHED = "unmatched"


def route_templates(routes: Iterable[Any]) -> list[tuple[re.Pattern[str], str]]:
    """Every route's path pattern and template, through included routers (FastAPI wraps those)."""
    found: list[tuple[re.Pattern[str], str]] = []
    for route in routes:
        regex, path = getattr(route, "path_regex", None), getattr(route, "path", None)
        if isinstance(regex, re.Pattern) and isinstance(path, str):
            found.append((regex, path))
        inner = getattr(route, "routes", None) or getattr(getattr(route, "original_router", None), "routes", None)
        if inner:
            found.extend(route_templates(inner))
    return found


def route_label(routes: Iterable[Any], scope: Scope, extra_paths: Iterable[str] = ()) -> str:
    """A bounded label for a request: the template of the route its path matches
    (`/api/calls/{call_sid}`), one of `extra_paths` served outside the router, else "unmatched" —
    never the raw path."""
    path = scope.get("path", "")
    if path in extra_paths:
        return str(path)
    for regex, template in route_templates(routes):
        if regex.match(path):
            return template
    return UNMATCHED
