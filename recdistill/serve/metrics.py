"""Prometheus metrics (``GET /metrics``) and the ASGI middleware that times requests.

Each app gets its own registry, so several apps (tests, workers) never clash.
With ``--workers N`` each worker process keeps its own counters; a scrape
reaches one worker. Run single-worker replicas for exact per-process series.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENT_OUTCOMES = ("created", "duplicate", "rejected")
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The server's metrics on a private registry."""

    def __init__(self) -> None:
        disable_created_metrics()  # no *_created series: they double the output for nothing
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "recdistill_http_requests", "HTTP requests by route, method and status.",
            ["route", "method", "status"], registry=r,
        )
        self.latency = Histogram(
            "recdistill_http_request_seconds", "HTTP request latency by route.",
            ["route"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.recommendations = Counter(
            "recdistill_recommendations", "Recommendation lists served by model slot and policy.",
            ["model", "policy"], registry=r,
        )
        self.events = Counter(
            "recdistill_events_ingested", "Events received, by outcome "
            "(created, duplicate, rejected).", ["outcome"], registry=r,
        )
        # per outcome, made once (``labels()`` costs microseconds on every event)
        self.event_outcomes = {o: self.events.labels(o) for o in EVENT_OUTCOMES}
        self.reloads = Counter(
            "recdistill_model_reloads", "Model reloads by outcome.", ["outcome"], registry=r,
        )
        self.users = Gauge("recdistill_users_known", "Users with a history.", registry=r)

    def observe_models(self, models: Callable[[], list[dict[str, Any]]]) -> None:
        """Export ``recdistill_model_info{slot,name,kind,kd,version} 1`` from a callback."""
        self.registry.register(_ModelInfo(models))

    def observe_cache(self, stats: Callable[[], tuple[int, int, int]]) -> None:
        """Export the result cache's ``(hits, misses, entries)`` from a callback."""
        self.registry.register(_CacheStats(stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ModelInfo(Collector):
    def __init__(self, models: Callable[[], list[dict[str, Any]]]) -> None:
        self.models = models

    def collect(self) -> Any:
        fam = GaugeMetricFamily(
            "recdistill_model_info", "The models being served (value 1), with their versions.",
            labels=["slot", "name", "kind", "kd", "version"],
        )
        for m in self.models():
            fam.add_metric(
                [m["slot"], m["name"], m["kind"], str(m["kd"] or ""), m["version"]], 1.0
            )
        yield fam


class _CacheStats(Collector):
    def __init__(self, stats: Callable[[], tuple[int, int, int]]) -> None:
        self.stats = stats

    def collect(self) -> Any:
        hits, misses, entries = self.stats()
        lookups = CounterMetricFamily(
            "recdistill_result_cache_lookups", "Result cache lookups (since the last model "
            "load) by outcome.", labels=["outcome"],
        )
        lookups.add_metric(["hit"], hits)
        lookups.add_metric(["miss"], misses)
        yield lookups
        yield GaugeMetricFamily("recdistill_result_cache_entries", "Cached lists.", value=entries)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.latency.labels(label).observe(time.perf_counter() - start)
            self.metrics.requests.labels(label, scope["method"], str(status)).inc()
