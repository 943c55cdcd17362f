"""Prometheus metrics, on a registry of our own (so app factories in tests never collide)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.calls = Counter("hvac_calls", "Calls started", ["mode"], registry=r)
        self.calls_ended = Counter("hvac_calls_ended", "Calls ended, by outcome", ["outcome"], registry=r)
        self.active_calls = Gauge("hvac_active_calls", "Calls in progress in this process", registry=r)
        self.turns = Counter("hvac_turns", "Caller turns handled", ["agent"], registry=r)
        self.bookings = Counter("hvac_bookings", "Booking attempts by result", ["result"], registry=r)
        self.turn_latency = Histogram(
            "hvac_turn_latency_seconds", "Webhook/turn handling time", ["mode"],
            buckets=LATENCY_BUCKETS_S, registry=r,
        )
        self.provider_errors = Counter(
            "hvac_provider_errors", "Errors from providers and stores", ["provider"], registry=r
        )
        self.circuit_state = Gauge(
            "hvac_circuit_open", "1 when a circuit breaker is open", ["circuit"], registry=r
        )
        self.webhook_rejected = Counter(
            "hvac_webhook_rejected", "Requests refused (bad signature)", ["path"], registry=r
        )
        self.duplicate_webhooks = Counter(
            "hvac_duplicate_webhooks", "Retried webhooks answered from the stored reply", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
