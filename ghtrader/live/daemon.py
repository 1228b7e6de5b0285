"""The shared core of the supervisord daemons (recorder, trade runner).

Usage (one daemon = one foreground process that supervisord supervises)::

    cfg = DaemonConfig(name="recorder", run_dir=settings.runs_dir / "daemons", http_port=9108)
    daemon = Daemon(cfg)
    ticks = Counter("ticks_total", "ticks seen", registry=daemon.registry)
    daemon.add_health_check("feed", lambda: None if feed_fresh() else "feed stale")
    daemon.on_stop_request(feed.close)            # called from the SIGTERM handler: be quick
    daemon.on_shutdown(recorder.flush)            # called once after the main loop: the final flush
    daemon.on_signal(signal.SIGUSR1, runner.kill) # extra hooks (the trade runner's manual kill)
    sys.exit(daemon.run(main_loop))               # main_loop(daemon) polls ``daemon.stopping``

``run`` starts ``/healthz`` + ``/metrics`` on ``127.0.0.1`` and the heartbeat thread, runs the loop,
then the shutdown callbacks, and returns 0 when the stop was requested by a signal.

Traps: a signal handler runs between bytecodes of the main thread, so it only sets a flag and calls
short stop-request hooks (closing a feed); the flush itself runs afterwards on the normal path, so a
SIGTERM in the middle of a flush never interleaves two flushes. Loops must sleep with
``daemon.sleep`` (an ``Event.wait``) to wake up at once on SIGTERM. The heartbeat file is replaced
atomically, so a reader never sees half a JSON document. Servers bind loopback only.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Gauge, make_wsgi_app

from ghtrader.live.jsonlog import JsonFormatter, configure_logging, log_event

__all__ = [
    "Daemon",
    "DaemonConfig",
    "HealthCheck",
    "JsonFormatter",
    "atomic_write_json",
    "configure_logging",
    "log_event",
]

HealthCheck = Callable[[], str | None]  # returns a reason when unhealthy, else None
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DaemonConfig:
    """Where a daemon writes its heartbeat and where it serves health/metrics."""

    name: str
    run_dir: Path
    http_host: str = LOOPBACK
    http_port: int = 0  # 0 = an ephemeral port (written to the heartbeat file)
    heartbeat_s: float = 1.0
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if self.http_host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError(f"daemons serve loopback only, got http_host={self.http_host!r}")
        if not self.name or "/" in self.name:
            raise ValueError(f"bad daemon name {self.name!r}")

    @property
    def heartbeat_path(self) -> Path:
        return self.run_dir / f"{self.name}.heartbeat.json"


def atomic_write_json(path: Path, obj: Any) -> None:
    """Replace ``path`` with ``obj`` as JSON (temp file + rename; no fsync: it is advisory state)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, default=str, sort_keys=True))
    os.replace(tmp, path)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    address_family = socket.AF_INET


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class Daemon:
    """Signals, structured logs, health/metrics HTTP endpoint and heartbeat of one daemon process."""

    def __init__(self, config: DaemonConfig, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.registry = registry or CollectorRegistry()
        self.log = configure_logging(config.name, config.log_level)
        self.stopping = threading.Event()
        self.stop_reason: str | None = None
        self.started_at = time.time()
        self._checks: dict[str, HealthCheck] = {}
        self._stop_hooks: list[Callable[[], None]] = []
        self._shutdown_hooks: list[Callable[[], None]] = []
        self._signal_hooks: dict[int, list[Callable[[], None]]] = {}
        self._status: Callable[[], dict[str, Any]] | None = None
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self.http_port: int | None = None
        self._up = Gauge("ghtrader_daemon_up", "1 while the daemon runs", ["daemon"], registry=self.registry)
        self._healthy = Gauge(
            "ghtrader_daemon_healthy", "1 when every health check passes", ["daemon"], registry=self.registry
        )

    # ------------------------------------------------------------------ registration
    def add_health_check(self, name: str, check: HealthCheck) -> None:
        self._checks[name] = check

    def on_stop_request(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` inside the signal handler (keep it short: close a feed, set a flag)."""
        self._stop_hooks.append(hook)

    def on_shutdown(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once after the main loop returns (the final flush), in registration order."""
        self._shutdown_hooks.append(hook)

    def on_signal(self, signum: int, hook: Callable[[], None]) -> None:
        """Run ``hook`` (in the main thread, from the handler) when ``signum`` arrives; not a stop."""
        self._signal_hooks.setdefault(signum, []).append(hook)

    def set_status(self, status: Callable[[], dict[str, Any]]) -> None:
        """Extra fields for the heartbeat file and ``/healthz`` (counts, last tick, ...)."""
        self._status = status

    # ------------------------------------------------------------------ state
    def health(self) -> tuple[bool, dict[str, str]]:
        """(healthy, failing check -> reason); a check that raises counts as failing."""
        failing: dict[str, str] = {}
        for name, check in list(self._checks.items()):
            try:
                reason = check()
            except Exception as exc:  # a broken check must not kill the endpoint
                reason = f"check raised {type(exc).__name__}: {exc}"
            if reason:
                failing[name] = reason
        return not failing, failing

    def snapshot(self) -> dict[str, Any]:
        healthy, failing = self.health()
        self._healthy.labels(self.config.name).set(1 if healthy else 0)
        out: dict[str, Any] = {
            "daemon": self.config.name,
            "pid": os.getpid(),
            "ts": time.time(),
            "started_at": self.started_at,
            "state": "stopping" if self.stopping.is_set() else "running",
            "healthy": healthy,
            "failing": failing,
            "http": f"{self.config.http_host}:{self.http_port}" if self.http_port else None,
        }
        if self._status is not None:
            try:
                out["status"] = self._status()
            except Exception as exc:
                out["status"] = {"error": f"{type(exc).__name__}: {exc}"}
        return out

    def request_stop(self, reason: str) -> None:
        if self.stopping.is_set():
            return
        self.stop_reason = reason
        self.stopping.set()
        for hook in self._stop_hooks:
            try:
                hook()
            except Exception:
                self.log.exception("stop hook failed")

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True early when a stop was requested."""
        return self.stopping.wait(max(0.0, seconds))

    # ------------------------------------------------------------------ plumbing
    def _handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if signum in self._signal_hooks:
            log_event(self.log, "signal", signal=name)
            for hook in self._signal_hooks[signum]:
                hook()
            return
        self.request_stop(name)

    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, *self._signal_hooks):
            signal.signal(sig, self._handle_signal)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            snap = self.snapshot()
            code = "200 OK" if snap["healthy"] and not self.stopping.is_set() else "503 Service Unavailable"
            body = json.dumps(snap, default=str).encode()
            start_response(code, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/metrics":
            return self._metrics_app(environ, start_response)  # type: ignore[no-any-return]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"try /healthz or /metrics\n"]

    def start_http(self) -> int:
        """Serve ``/healthz`` and ``/metrics`` on the loopback address; return the bound port."""
        self._metrics_app = make_wsgi_app(self.registry)
        server = make_server(
            self.config.http_host,
            self.config.http_port,
            self._app,
            server_class=_Server,
            handler_class=_QuietHandler,
        )
        self._server = server  # type: ignore[assignment]
        self.http_port = int(server.server_port)
        t = threading.Thread(target=server.serve_forever, name=f"{self.config.name}-http", daemon=True)
        t.start()
        self._threads.append(t)
        return self.http_port

    def write_heartbeat(self) -> None:
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.config.heartbeat_path, self.snapshot())

    def _heartbeat_loop(self) -> None:
        while not self.stopping.wait(self.config.heartbeat_s):
            try:
                self.write_heartbeat()
            except OSError as exc:
                log_event(self.log, "heartbeat_failed", logging.WARNING, error=str(exc))

    def start(self) -> None:
        """Signals, HTTP endpoint, first heartbeat and the heartbeat thread."""
        self.install_signals()
        self.start_http()
        self._up.labels(self.config.name).set(1)
        self.write_heartbeat()
        t = threading.Thread(target=self._heartbeat_loop, name=f"{self.config.name}-heartbeat", daemon=True)
        t.start()
        self._threads.append(t)
        log_event(self.log, "started", pid=os.getpid(), http=f"{self.config.http_host}:{self.http_port}")

    def shutdown(self) -> None:
        """Run the shutdown hooks (final flush), write the last heartbeat, stop serving."""
        self.stopping.set()
        for hook in self._shutdown_hooks:
            hook()
        self._up.labels(self.config.name).set(0)
        snap = self.snapshot()
        snap["state"] = "stopped"
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.config.heartbeat_path, snap)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        log_event(self.log, "stopped", reason=self.stop_reason)

    def run(self, main: Callable[[Daemon], None]) -> int:
        """Start, run ``main(self)`` until it returns, shut down; 0 on a requested stop, 1 on a crash.

        A crash in ``main`` still runs the shutdown hooks (flush what was buffered) before exiting 1,
        so supervisord restarts a daemon that lost nothing it had received.
        """
        self.start()
        code = 0
        try:
            main(self)
        except Exception:
            self.log.exception("main loop crashed")
            code = 1
        finally:
            self.shutdown()
        return code
