"""StatsD -> Prometheus bridge for Airflow's metrics (``[metrics] statsd_on``), run by supervisord
in production mode and scraped by Prometheus.

Why this exists: Prometheus' Go ``statsd_exporter`` is the usual tool, but it is neither a Debian 12
package nor on PyPI, the only registries a ghTrader host is assumed to reach. This is a small,
faithful subset: it listens on UDP (127.0.0.1:9125, the exporter's default port), parses the StatsD
line protocol Airflow emits (``name:value|c|g|ms|h[|@rate][|#tag:v,...]``), and exposes counters,
gauges and timers (as summaries, seconds) through ``prometheus_client`` on 127.0.0.1:9102. Swap in
the Go exporter on the same ports at any time; the Prometheus config does not change.

Trap: metric names carry dots and DAG/task ids (``dag.ghtrader_cu.ingest.duration``); they are
sanitized to ``airflow_dag_ghtrader_cu_ingest_duration`` (no label extraction), which keeps the
mapping obvious and the cardinality that of Airflow's own names.
"""

from __future__ import annotations

import argparse
import re
import socket
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Summary, start_http_server

_BAD = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    kind: str  # c, g, ms, h, s
    rate: float = 1.0
    delta: bool = False  # a gauge line "+3"/"-2" adjusts instead of setting


def parse_line(line: str) -> Sample | None:
    """One StatsD line -> Sample (None when malformed; StatsD clients never wait for errors)."""
    try:
        name, rest = line.strip().split(":", 1)
        fields = rest.split("|")
        raw, kind = fields[0], fields[1]
        rate = 1.0
        for f in fields[2:]:
            if f.startswith("@"):
                rate = float(f[1:]) or 1.0
        return Sample(name, float(raw), kind, rate, kind == "g" and raw[:1] in "+-")
    except (ValueError, IndexError):
        return None


def prom_name(name: str, prefix: str = "airflow") -> str:
    clean = _BAD.sub("_", name).strip("_")
    return f"{prefix}_{clean}" if not clean.startswith(prefix + "_") else clean


class Bridge:
    """Turns samples into prometheus_client metrics of ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.metrics: dict[tuple[str, str], object] = {}

    def _get(self, kind: str, name: str):  # noqa: ANN202
        key = (kind, name)
        if key not in self.metrics:
            cls = {"c": Counter, "g": Gauge, "t": Summary}[kind]
            self.metrics[key] = cls(name, f"Airflow StatsD metric {name}", registry=self.registry)
        return self.metrics[key]

    def apply(self, s: Sample) -> None:
        name = prom_name(s.name)
        try:
            if s.kind == "c":
                self._get("c", name).inc(max(0.0, s.value / s.rate))  # type: ignore[attr-defined]
            elif s.kind == "g":
                g = self._get("g", name)
                g.inc(s.value) if s.delta else g.set(s.value)  # type: ignore[attr-defined]
            elif s.kind in ("ms", "h"):
                self._get("t", name + "_seconds").observe(s.value / 1000.0)  # type: ignore[attr-defined]
        except ValueError:  # the same name used as two kinds: keep the first, drop the other
            pass

    def feed(self, datagram: bytes) -> int:
        n = 0
        for line in datagram.decode(errors="replace").splitlines():
            s = parse_line(line)
            if s is not None:
                self.apply(s)
                n += 1
        return n


def serve(udp_host: str, udp_port: int, http_host: str, http_port: int) -> None:
    registry = CollectorRegistry()
    bridge = Bridge(registry)
    start_http_server(http_port, addr=http_host, registry=registry)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((udp_host, udp_port))
    while True:
        data, _ = sock.recvfrom(65535)
        bridge.feed(data)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--statsd", default="127.0.0.1:9125", help="UDP host:port to listen on")
    ap.add_argument("--web", default="127.0.0.1:9102", help="HTTP host:port serving /metrics")
    a = ap.parse_args(argv)
    uh, up = a.statsd.rsplit(":", 1)
    wh, wp = a.web.rsplit(":", 1)
    serve(uh, int(up), wh, int(wp))


if __name__ == "__main__":
    main()
