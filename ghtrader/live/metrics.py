"""Prometheus metrics of the live recorder (one registry per daemon process)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

FLUSH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.2, 2.5, 3.0, 5.0, 10.0, 30.0)


class _LastTickAge(Collector):
    """``ghtrader_recorder_last_tick_age_seconds{symbol}`` computed at scrape time."""

    def __init__(self, last_tick: Callable[[], dict[str, float]], wall: Callable[[], float]) -> None:
        self.last_tick = last_tick
        self.wall = wall

    def collect(self) -> Iterator[GaugeMetricFamily]:
        fam = GaugeMetricFamily(
            "ghtrader_recorder_last_tick_age_seconds", "wall seconds since the last tick", labels=["symbol"]
        )
        now = self.wall()
        for sym, t in sorted(self.last_tick().items()):
            fam.add_metric([sym], max(0.0, now - t))
        yield fam


class RecorderMetrics:
    """Counters per symbol, flush and latency histograms, reconnects, gaps."""

    def __init__(self, registry: CollectorRegistry) -> None:
        p = "ghtrader_recorder_"
        self.received = Counter(p + "ticks_received", "ticks from the feed", ["symbol"], registry=registry)
        self.written = Counter(
            p + "ticks_written", "ticks committed to the lake", ["symbol"], registry=registry
        )
        self.duplicates = Counter(
            p + "ticks_duplicate", "ticks dropped as duplicates (not newer)", ["symbol"], registry=registry
        )
        self.quarantined = Counter(
            p + "ticks_quarantined",
            "ticks rejected by the quality gate",
            ["symbol", "reason"],
            registry=registry,
        )
        self.flush_seconds = Histogram(
            p + "flush_seconds", "duration of one flush", buckets=FLUSH_BUCKETS, registry=registry
        )
        self.durable_latency = Histogram(
            p + "tick_to_durable_seconds",
            "receive -> committed, per received batch",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.flushes = Counter(p + "flushes", "flushes by trigger", ["reason"], registry=registry)
        self.reconnects = Counter(p + "feed_reconnects", "feed reconnects", registry=registry)
        self.gaps = Counter(p + "gaps", "gaps recorded in the gap log", ["reason"], registry=registry)
        self.buffered = Gauge(p + "buffered_ticks", "ticks received but not yet committed", registry=registry)
        self.errors = Counter(p + "flush_errors", "flushes that failed (retried)", registry=registry)

    def watch_last_tick(
        self,
        registry: CollectorRegistry,
        last_tick: Callable[[], dict[str, float]],
        wall: Callable[[], float] = time.time,
    ) -> None:
        registry.register(_LastTickAge(last_tick, wall))
