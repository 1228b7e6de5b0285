"""``ghtrader trade --mode ...``: the runner as a supervisord daemon on the shared daemon core.

Order of start-up (each step can refuse, before the next one runs): the live gate (no key, no
connection), the champion (sha256 and input hashes), the run directory (the event chain must verify;
a restart resumes it), then the feed. The main loop feeds ticks of the day's main contract to the
runner; a timer thread runs the stale-data check, the kill-file check and the periodic account
snapshot (``snapshots.jsonl`` beside the event log). In sim mode the account keeps its own book
(``sim_account.json``, like a broker), which a restart reconciles with the event log. SIGUSR1 = manual kill (flattens on the next tick);
``ghtrader trade kill`` / ``reset-kill`` write / remove the kill file, which latches a kill across
restarts. Metrics: tick->decision latency histogram, position, PnL, orders, rejects, risk state,
model version.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from ghtrader.live.daemon import Daemon, DaemonConfig, log_event
from ghtrader.market.calendar import TradingCalendar
from ghtrader.market.clock import SessionClock
from ghtrader.market.contracts import ContractBook
from ghtrader.market.sessions import variety_sessions
from ghtrader.trade.account import Account, PaperAccount, SimAccount
from ghtrader.trade.calibration import CalibrationConfig
from ghtrader.trade.champion import ChampionRefused, ChampionWatcher, Expected, load_champion
from ghtrader.trade.eventlog import EventLog
from ghtrader.trade.feed import TickAdapter
from ghtrader.trade.gate import LiveGate
from ghtrader.trade.replay import trading_dir
from ghtrader.trade.risk import RiskEngine, RiskLimits
from ghtrader.trade.runner import Hooks, RunnerConfig, TradeRunner

SNAPSHOTS = "snapshots.jsonl"
SIM_BOOK = "sim_account.json"


def kill_path(runs_dir: Path, var: str) -> Path:
    return Path(runs_dir) / "trading" / "control" / f"{var}.kill.json"


def write_kill(runs_dir: Path, var: str, reason: str) -> Path:
    path = kill_path(runs_dir, var)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"reason": reason, "at": dt.datetime.now(dt.UTC).isoformat()}))
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class TradeOptions:
    mode: str
    var: str
    symbol: str
    source: str
    runs_dir: Path
    data_dir: Path
    run_dir: Path  # daemon heartbeat dir
    run_id: str
    monitor_only: bool = False
    start_at: str | None = None
    speed: float = 1.0
    port: int = 9109
    infer_every: int = 1
    calibrate: bool = False
    flatten_lead_s: float = 30.0
    snapshot_s: float = 30.0
    sim_seed: int = 20250303
    limits: RiskLimits = RiskLimits()
    log_level: str = "INFO"


class PromHooks(Hooks):
    def __init__(self, daemon: Daemon) -> None:
        r = daemon.registry
        buckets = (5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2)
        self.hist = Histogram(
            "ghtrader_trade_decision_seconds", "tick -> decision", buckets=buckets, registry=r
        )
        self.events = Counter(
            "ghtrader_trade_events_total", "event log records by kind", ["kind"], registry=r
        )
        self.position = Gauge("ghtrader_trade_position_lots", "position (lots)", registry=r)
        self.pnl = Gauge("ghtrader_trade_pnl_cny", "net PnL of the run (CNY)", registry=r)
        self.risk = Gauge("ghtrader_trade_risk_state", "0 ok, 1 paused, 2 killed", registry=r)
        self.model = Gauge("ghtrader_trade_model_info", "champion in use", ["run_id"], registry=r)

    def latency(self, seconds: float) -> None:
        self.hist.observe(seconds)

    def event(self, kind: str) -> None:
        self.events.labels(kind).inc()


def build_account(opts: TradeOptions, book: ContractBook, gate: LiveGate | None, api: Any = None) -> Account:
    """The account of ``opts.mode``; a live account routes orders only with a ``LiveGate``."""
    if opts.mode == "paper":
        return PaperAccount()
    if opts.mode == "sim":  # its own book beside the event log: the account's truth on a restart
        path = trading_dir(opts.runs_dir, opts.run_id) / SIM_BOOK
        path.parent.mkdir(parents=True, exist_ok=True)
        return SimAccount(book, book_path=path)
    from ghtrader.trade.tqsdk.account import TqAccount

    return TqAccount(api, gate=None if opts.monitor_only else gate)


def run_trade(
    opts: TradeOptions,
    *,
    expected: Expected,
    calendar: TradingCalendar,
    book: ContractBook,
    gate: LiveGate | None,
    feed_factory: Callable[[Daemon], Any],
    schedule: dict[str, str],
    partner_schedule: dict[str, str] | None = None,
    api: Any = None,
    market_now: Callable[[], int] | None = None,
) -> int:
    """Run the trade runner daemon in the foreground; the exit code.

    Without a usable champion the daemon still runs (so supervisord keeps it up) but is unhealthy and
    makes no decision; it polls the registry and starts trading once a champion loads."""
    daemon = Daemon(DaemonConfig("trade-runner", opts.run_dir, http_port=opts.port, log_level=opts.log_level))
    waiting: list[str | None] = [None]
    daemon.add_health_check("champion", lambda: waiting[0])
    champion = None
    daemon.start()
    while champion is None:
        try:
            champion = load_champion(opts.runs_dir, opts.var, expected)
        except ChampionRefused as exc:
            if waiting[0] != str(exc):
                log_event(daemon.log, "champion_refused", 30, reason=str(exc))
            waiting[0] = str(exc)
            if daemon.sleep(5.0):
                daemon.shutdown()
                return 0
    waiting[0] = None
    hooks = PromHooks(daemon)
    run_dir = trading_dir(opts.runs_dir, opts.run_id)
    log = EventLog.open(run_dir, wall_clock=time.time_ns)
    account = build_account(opts, book, gate, api)
    clock = SessionClock(calendar, variety_sessions(opts.var))
    cfg = RunnerConfig(
        run_id=opts.run_id, var=opts.var, symbol=opts.symbol, mode=opts.mode, monitor_only=opts.monitor_only,
        infer_every=opts.infer_every,
        calibration=CalibrationConfig(horizon=champion.horizon or 50, k=expected.labels.k) if opts.calibrate else None,
    )  # fmt: skip
    watcher = ChampionWatcher(opts.runs_dir, opts.var, expected, champion)
    runner = TradeRunner(
        cfg, champion, expected, account, RiskEngine(opts.limits), log, clock, watcher=watcher, hooks=hooks
    )
    kill_file = kill_path(opts.runs_dir, opts.var)
    if kill_file.is_file():
        runner.risk.kill(f"kill file {kill_file.name}")
    runner.start(source=opts.source)
    hooks.model.labels(champion.run_id).set(1)
    lock = threading.Lock()
    adapter = TickAdapter(
        opts.var, book, clock, schedule, opts.flatten_lead_s, expected.features.cross, partner_schedule
    )
    daemon.add_health_check("risk", runner.health)
    daemon.set_status(lambda: {**runner.status(), "mode": opts.mode, "run_id": opts.run_id})
    daemon.on_signal(signal.SIGUSR1, lambda: runner.request_kill("SIGUSR1"))
    now = market_now or time.time_ns
    feeds: list[Any] = []

    def close_feeds() -> None:
        for f in feeds:
            f.close()

    def final() -> None:
        log.append("run_stop", position=account.position)
        log.close()

    daemon.on_stop_request(close_feeds)

    latched = [kill_file.is_file()]

    def timer(d: Daemon) -> None:
        next_snap = time.monotonic()
        while not d.sleep(0.5):
            with lock:
                runner.on_timer(now())
                exists, killed = kill_file.is_file(), runner.risk.state.killed
                if killed and not latched[0]:  # latch a kill of the runner's own across restarts
                    write_kill(opts.runs_dir, opts.var, runner.risk.state.kill_reason or "kill")
                    exists = latched[0] = True
                if exists:
                    latched[0] = True
                    if not killed and runner.kill_request is None:
                        runner.request_kill(f"kill file {kill_file.name}")
                elif latched[0] and killed:  # ghtrader trade reset-kill removed it
                    runner.reset_kill()
                    latched[0] = False
                hooks.position.set(account.position)
                hooks.pnl.set(account.equity())
                hooks.risk.set(2 if runner.risk.state.killed else 1 if runner.risk.state.paused else 0)
                if time.monotonic() >= next_snap:
                    next_snap += opts.snapshot_s
                    snap = {
                        "wall_ns": time.time_ns(),
                        "market_ns": now(),
                        **runner.status(),
                        "account": account.snapshot(),
                    }
                    with (run_dir / SNAPSHOTS).open("a") as f:
                        f.write(json.dumps(snap, default=str) + "\n")

    def main(d: Daemon) -> None:
        t = threading.Thread(target=timer, args=(d,), name="trade-timer", daemon=True)
        t.start()
        backoff = 1.0
        while not d.stopping.is_set():
            feed = feed_factory(d)
            feeds[:] = [feed]
            try:
                feed.open()  # the sim feed generates its day before releasing ticks: no first-poll stall
                for batch in feed:
                    events = adapter.convert(batch)
                    with lock:
                        old = runner.champion.run_id
                        runner.poll_champion()
                        if runner.champion.run_id != old:
                            hooks.model.labels(old).set(0)
                            hooks.model.labels(runner.champion.run_id).set(1)
                        for ev in events:
                            runner.on_event(ev)
                    backoff = 1.0
            except Exception as exc:  # a broken feed: reconnect with back-off
                log_event(d.log, "feed_error", 40, error=f"{type(exc).__name__}: {exc}")
            if d.sleep(backoff):
                break
            backoff = min(backoff * 2, 30.0)
        t.join(timeout=5)

    daemon.on_shutdown(final)
    code = 0
    try:  # daemon.run without a second start(): the endpoint is already up
        main(daemon)
    except Exception:
        daemon.log.exception("main loop crashed")
        code = 1
    finally:
        daemon.shutdown()
    return code
