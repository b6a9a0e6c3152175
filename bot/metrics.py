"""Prometheus metrics of the service (`GET /metrics`), kept in one registry per app."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FALLBACK_INTENT = "nlu_fallback"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "etude_http_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.turns = Counter(
            "etude_turns", "Dialogue turns processed by channel", ["channel"], registry=self.registry
        )
        self.errors = Counter("etude_errors", "Turns that failed by kind", ["kind"], registry=self.registry)
        self.turn_seconds = Histogram(
            "etude_turn_seconds",
            "Time to process one turn",
            buckets=(0.005, 0.01, 0.02, 0.04, 0.06, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=self.registry,
        )
        self.nlu_confidence = Histogram(
            "etude_nlu_confidence",
            "Top intent confidence of parsed messages: learners' turns (source=turn) or /model/parse",
            ["source"],
            buckets=(0.2, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "etude_nlu_fallbacks", "Messages below the NLU threshold (nlu_fallback)", ["source"],
            registry=self.registry,
        )

    def observe_parse(self, parse: dict[str, Any], source: str) -> None:
        """Count one NLU parse: its top intent's confidence, and whether it fell back."""
        intent = parse.get("intent") or {}
        confidence = intent.get("confidence")
        if isinstance(confidence, int | float):
            self.nlu_confidence.labels(source).observe(float(confidence))
        if intent.get("name") == FALLBACK_INTENT:
            self.fallbacks.labels(source).inc()

    def observe_turn_parse(self, parse: dict[str, Any]) -> None:
        self.observe_parse(parse, "turn")

    def render(self) -> bytes:
        return generate_latest(self.registry)
