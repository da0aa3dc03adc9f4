"""Prometheus metrics of one app: HTTP requests by route template, the use of its database pools, and
its loops' ticks (each loop's work: rounds opened, deliveries sent, jobs run)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PoolCollector(Collector):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return
        size = GaugeMetricFamily("db_pool_size", "Connections the pool keeps")
        size.add_metric([], pool.size())
        out = GaugeMetricFamily("db_pool_checked_out", "Connections in use")
        out.add_metric([], pool.checkedout())
        overflow = GaugeMetricFamily("db_pool_overflow", "Connections opened beyond the pool size")
        overflow.add_metric([], max(pool.overflow(), 0))
        yield from (size, out, overflow)


class Metrics:
    """One registry per app, so several apps (tests) never collide on global state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.loop_ticks = Counter(
            "loop_ticks_total",
            "Ticks of a background loop, by outcome (ok, failed)",
            ["loop", "outcome"],
            registry=self.registry,
        )
        self.loop_items = Counter(
            "loop_items_total",
            "Items a background loop handled (rounds opened, deliveries, jobs...)",
            ["loop"],
            registry=self.registry,
        )
        self.loop_last_success = Gauge(
            "loop_last_success_timestamp_seconds",
            "When a background loop last completed a tick",
            ["loop"],
            registry=self.registry,
        )

        # The labelled children by (method, route, status): `labels()` takes a lock and builds the key
        # on every call, and a service has a few dozen such combinations.
        self._request_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._request_series.get(key)
        if series is None:
            labels = (method, route, str(status))
            series = self._request_series[key] = (self.requests.labels(*labels), self.latency.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)

    def observe_tick(self, loop: str, handled: int | None) -> None:
        """One tick of `loop`: `handled` items, or None when the tick failed."""
        if handled is None:
            self.loop_ticks.labels(loop, "failed").inc()
            return
        self.loop_ticks.labels(loop, "ok").inc()
        self.loop_items.labels(loop).inc(handled)
        self.loop_last_success.labels(loop).set_to_current_time()

    def watch_pool(self, engine: AsyncEngine) -> None:
        self.registry.register(PoolCollector(engine))
